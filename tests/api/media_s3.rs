//! Media in an S3-compatible bucket: a real S3 server of the test's own (`moto_server`, from `pip install "moto[server]"`),
//! reached as `MEDIA_STORE=s3://BUCKET` with `MEDIA_S3_ENDPOINT`, through a relay that can break a transfer in
//! its middle.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};

use crate::helpers::{postgres_required, TestApp, TestOptions};
use crate::media::{jpeg, upload, uploaded};
use crate::post_writes::{send, token};
use crate::redis_server::free_port;
use crate::tcp_proxy::TcpProxy;

const BUCKET: &str = "blog-media";

/// A `moto_server` of this test's own, with the bucket made.
struct OwnS3 {
    port: u16,
    child: Child,
}

impl Drop for OwnS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OwnS3 {
    /// `None` (after saying so) when there is no `moto_server` to run, outside CI.
    async fn start() -> Option<OwnS3> {
        let port = free_port();
        let child = match Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(error) if !postgres_required() => {
                eprintln!("SKIPPED: no moto_server on PATH ({error}); pip install 'moto[server]'");
                return None;
            }
            Err(error) => panic!("moto_server is required here (CI) but could not start: {error}"),
        };
        let s3 = OwnS3 { port, child };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let made = client.put(s3.url(BUCKET)).send().await;
            if made
                .as_ref()
                .is_ok_and(|answer| answer.status().is_success())
            {
                return Some(s3);
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not come up: {made:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn address(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// The keys in the bucket, read from the server itself.
    async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(self.url(&format!("{BUCKET}?list-type=2")))
            .await
            .expect("moto answers")
            .text()
            .await
            .expect("XML");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

fn bucket_settings(
    endpoint: String,
    public_url: Option<String>,
) -> blog_api::config::MediaSettings {
    let mut media = blog_api::config::MediaSettings::in_directory(std::env::temp_dir());
    media.store = blog_api::media::StoreLocation::S3(blog_api::media::S3Location {
        bucket: BUCKET.to_owned(),
        endpoint: Some(endpoint),
        region: String::from("us-east-1"),
        access_key_id: Some(String::from("test")),
        secret_access_key: Some(String::from("test")),
        session_token: None,
    });
    media.public_url = public_url;
    media.timeout = Duration::from_secs(3);
    media
}

async fn uploads_live_in_the_bucket_and_go_with_their_media(app: TestApp) {
    let Some(s3) = OwnS3::start().await else {
        return;
    };
    let options = TestOptions {
        media: Some(bucket_settings(s3.url(""), None)),
        ..TestOptions::default()
    };
    let api = app.another_instance(options).await;
    let editor = token(&api);
    let media = uploaded(&api, &editor, "photo.jpg", jpeg(900, 600)).await;
    let url = media["url"].as_str().expect("url");
    let key = url.trim_start_matches("/media/files/");
    let mut keys = s3.keys().await;
    keys.sort();
    let mut expected: Vec<String> = std::iter::once(url)
        .chain(
            media["variants"]
                .as_array()
                .expect("variants")
                .iter()
                .filter_map(|v| v["url"].as_str()),
        )
        .map(|url| url.trim_start_matches("/media/files/").to_owned())
        .collect();
    expected.sort();
    assert_eq!(
        keys, expected,
        "the original and every variant, under the media's name"
    );
    // Served by the API from the bucket, whole and by range: the bucket's own bytes (read here with a signed
    // request, as the bucket's objects are private).
    let settings = bucket_settings(s3.url(""), None);
    let bucket =
        blog_api::media::MediaStore::open(&settings.store, settings.timeout).expect("the bucket");
    let (name, file) = key.split_once('/').expect("name/file");
    let read = bucket
        .read(name, file, None)
        .await
        .expect("read")
        .expect("the object");
    let from_bucket: Vec<u8> = futures::StreamExt::collect::<Vec<_>>(read.body)
        .await
        .into_iter()
        .flat_map(|chunk| chunk.expect("a chunk").to_vec())
        .collect();
    assert!(!from_bucket.is_empty());
    let served = api.get(url).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert!(
        served.bytes().await.expect("bytes") == from_bucket,
        "the bucket's bytes"
    );
    let part = api
        .client
        .get(format!("{}{url}", api.address))
        .header("Range", "bytes=2-5")
        .send()
        .await
        .expect("answer");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert!(
        part.bytes().await.expect("bytes") == from_bucket[2..6],
        "the range of them"
    );

    let gone = send(
        &api,
        Method::DELETE,
        &format!("/media/{}", media["id"]),
        Some(&editor),
        None,
    )
    .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        s3.keys().await,
        Vec::<String>::new(),
        "every file left the bucket"
    );
    assert_eq!(api.get(url).await.status(), StatusCode::NOT_FOUND);

    // With MEDIA_PUBLIC_URL (the bucket's own URL here), clients fetch straight from it.
    let public = format!("{}{BUCKET}", s3.url(""));
    let options = TestOptions {
        media: Some(bucket_settings(s3.url(""), Some(public.clone()))),
        ..TestOptions::default()
    };
    let direct = app.another_instance(options).await;
    let media = uploaded(&direct, &editor, "photo.jpg", jpeg(400, 300)).await;
    let url = media["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{public}/")), "{url}");
    let key = url.trim_start_matches(&format!("{public}/"));
    assert!(
        s3.keys().await.iter().any(|stored| stored == key),
        "{key} is the bucket's key"
    );
}

async fn a_store_failing_mid_upload_leaves_nothing_visible(app: TestApp) {
    let Some(s3) = OwnS3::start().await else {
        return;
    };
    let relay = TcpProxy::start(s3.address());
    let options = TestOptions {
        media: Some(bucket_settings(
            format!("http://127.0.0.1:{}", relay.port),
            None,
        )),
        ..TestOptions::default()
    };
    let api = app.another_instance(options).await;
    let editor = token(&api);
    let photo = jpeg(1800, 1200);
    // Enough for the small variants (written first), not for the original: the network breaks in the middle.
    relay.cut_after(120_000);
    let failed = upload(&api, &editor, "photo.jpg", photo.clone(), None).await;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: serde_json::Value = failed.json().await.expect("a problem");
    assert_eq!(problem["type"], "urn:blog-api:problem:unavailable");
    let list = send(&api, Method::GET, "/media", Some(&editor), None).await;
    let list: serde_json::Value = list.json().await.expect("JSON");
    assert_eq!(list["meta"]["total"], 0, "no row for a half-stored upload");
    let stored_before_the_break = s3.keys().await;
    assert!(
        !stored_before_the_break.is_empty(),
        "the break came after some files were stored"
    );

    // The network comes back: what was stored goes, in the background.
    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !s3.keys().await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "files left in the bucket: {:?}",
            s3.keys().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And uploads work again.
    let media = uploaded(&api, &editor, "photo.jpg", photo).await;
    assert_eq!(media["width"], 1800);
}

crate::on_both_backends!(
    uploads_live_in_the_bucket_and_go_with_their_media,
    a_store_failing_mid_upload_leaves_nothing_visible,
);
