//! Media (README "Media"): real images made here, uploaded as a browser's `FormData` sends them, and what is
//! served decoded again: types read from the bytes, limits decided before decoding, orientation applied,
//! location data gone, variants of the right sizes and formats, transparency and animation kept where they
//! should be, files served immutable and by range, and nothing left behind by a delete.

use std::io::Cursor;

use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, TestOptions};
use crate::post_writes::{send, token};

/// A photo-like JPEG: the left half red, the right half blue, some noise so it compresses like a photo.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        let grain = u8::try_from((x * 7 + y * 13) % 23).unwrap_or(0);
        if x < width / 2 {
            Rgb([220 - grain, 30 + grain, 30])
        } else {
            Rgb([30, 30 + grain, 220 - grain])
        }
    });
    encode(&DynamicImage::ImageRgb8(image), ImageFormat::Jpeg)
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// A PNG whose right half is fully transparent.
fn transparent_png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([10, 200, 10, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    encode(&DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

/// An animated GIF of two frames.
fn animated_gif(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut out);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .expect("repeat");
        for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = image::Frame::new(RgbaImage::from_pixel(width, height, Rgba(colour)));
            encoder.encode_frame(frame).expect("frame");
        }
    }
    out
}

/// An EXIF block (little-endian TIFF) with `Orientation` and a GPS position.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8_u32.to_le_bytes());
    // IFD0 at 8: two entries, then the next-IFD offset.
    let gps_ifd: u32 = 8 + 2 + 2 * 12 + 4;
    tiff.extend(2_u16.to_le_bytes());
    tiff.extend(0x0112_u16.to_le_bytes()); // Orientation, SHORT, 1
    tiff.extend(3_u16.to_le_bytes());
    tiff.extend(1_u32.to_le_bytes());
    tiff.extend(u32::from(orientation).to_le_bytes());
    tiff.extend(0x8825_u16.to_le_bytes()); // GPSInfo, LONG, 1
    tiff.extend(4_u16.to_le_bytes());
    tiff.extend(1_u32.to_le_bytes());
    tiff.extend(gps_ifd.to_le_bytes());
    tiff.extend(0_u32.to_le_bytes());
    // GPS IFD: latitude ref "N" and latitude 52/1, 31/1, 12/1 (stored after the IFD).
    let rationals: u32 = gps_ifd + 2 + 2 * 12 + 4;
    tiff.extend(2_u16.to_le_bytes());
    tiff.extend(0x0001_u16.to_le_bytes());
    tiff.extend(2_u16.to_le_bytes());
    tiff.extend(2_u32.to_le_bytes());
    tiff.extend(*b"N\0\0\0");
    tiff.extend(0x0002_u16.to_le_bytes());
    tiff.extend(5_u16.to_le_bytes());
    tiff.extend(3_u32.to_le_bytes());
    tiff.extend(rationals.to_le_bytes());
    tiff.extend(0_u32.to_le_bytes());
    for value in [52_u32, 31, 12] {
        tiff.extend(value.to_le_bytes());
        tiff.extend(1_u32.to_le_bytes());
    }
    tiff
}

/// A JPEG carrying an EXIF segment (orientation and GPS) right after its start marker.
fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(width, height);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(exif_with_gps(orientation));
    let length = u16::try_from(payload.len() + 2).expect("a short segment");
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(length.to_be_bytes());
    out.extend(payload);
    out.extend(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny PNG file whose header declares `width` x `height` pixels (a decompression bomb's shape).
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend(u32::try_from(data.len()).expect("short").to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend(data);
        out.extend(&typed);
        out.extend(crc32(&typed).to_be_bytes());
    };
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 6, 0, 0, 0]);
    chunk(b"IHDR", &header);
    chunk(b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

pub async fn upload(
    app: &TestApp,
    editor: &str,
    name: &str,
    bytes: Vec<u8>,
    alt: Option<&str>,
) -> reqwest::Response {
    let mut form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .expect("mime"),
    );
    if let Some(alt) = alt {
        form = form.text("alt", alt.to_owned());
    }
    app.client
        .post(format!("{}/media", app.address))
        .bearer_auth(editor)
        .multipart(form)
        .send()
        .await
        .expect("the server answers")
}

pub async fn uploaded(app: &TestApp, editor: &str, name: &str, bytes: Vec<u8>) -> Value {
    let answer = upload(app, editor, name, bytes, Some("An image")).await;
    assert_eq!(answer.status(), StatusCode::CREATED, "upload {name}");
    answer.json().await.expect("JSON")
}

async fn fetch(app: &TestApp, url: &Value) -> reqwest::Response {
    let url = url.as_str().expect("a URL");
    assert!(url.starts_with("/media/files/"), "{url}");
    app.client
        .get(format!("{}{url}", app.address))
        .send()
        .await
        .expect("the server answers")
}

async fn fetch_bytes(app: &TestApp, url: &Value) -> Vec<u8> {
    let answer = fetch(app, url).await;
    assert_eq!(answer.status(), StatusCode::OK, "{url}");
    answer.bytes().await.expect("bytes").to_vec()
}

async fn problem(answer: reqwest::Response, status: u16) -> Value {
    assert_eq!(answer.status().as_u16(), status);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    answer.json().await.expect("a problem")
}

fn has_location(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"Exif")
        || bytes.windows(2).any(|w| w == b"N\0")
            && bytes.windows(8).any(|w| w == [52, 0, 0, 0, 1, 0, 0, 0])
}

async fn a_photo_gets_variants_upright_and_without_its_location(app: TestApp) {
    let editor = token(&app);
    // 2000 x 1000 as encoded, turned a quarter (EXIF orientation 6): 1000 x 2000 upright.
    let photo = jpeg_with_exif(2000, 1000, 6);
    assert!(has_location(&photo));
    let media = uploaded(&app, &editor, "photo.jpg", photo).await;
    assert_eq!(media["content_type"], "image/jpeg");
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(1000), Some(2000))
    );
    assert_eq!(media["alt"], "An image");
    let hash = media["blurhash"].as_str().expect("a blurhash");
    assert!((6..=40).contains(&hash.len()), "{hash}");

    let original = fetch_bytes(&app, &media["url"]).await;
    assert!(
        !has_location(&original),
        "the served original keeps no EXIF"
    );
    assert_eq!(media["bytes"].as_u64(), Some(original.len() as u64));
    let upright = image::load_from_memory(&original).expect("a JPEG");
    assert_eq!(upright.dimensions(), (1000, 2000));
    // The left half (red) of the stored pixels is the top once turned clockwise.
    let top = upright.get_pixel(500, 200);
    let bottom = upright.get_pixel(500, 1800);
    assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");

    // Every width narrower than 1000: a WebP and a JPEG each, as described.
    let variants = media["variants"].as_array().expect("variants");
    let described: Vec<(u64, &str)> = variants
        .iter()
        .map(|v| {
            (
                v["width"].as_u64().unwrap_or(0),
                v["format"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        described,
        [(320, "webp"), (320, "jpeg"), (640, "webp"), (640, "jpeg")]
    );
    for variant in variants {
        let bytes = fetch_bytes(&app, &variant["url"]).await;
        assert!(!has_location(&bytes));
        let format = image::guess_format(&bytes).expect("an image");
        let expected = if variant["format"] == "webp" {
            ImageFormat::WebP
        } else {
            ImageFormat::Jpeg
        };
        assert_eq!(format, expected);
        let decoded = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!(
            (u64::from(decoded.width()), u64::from(decoded.height())),
            (
                variant["width"].as_u64().unwrap_or(0),
                variant["height"].as_u64().unwrap_or(0)
            )
        );
        assert_eq!(
            decoded.width() * 2,
            decoded.height(),
            "the aspect ratio is kept"
        );
    }
}

async fn transparency_and_animation_are_kept_where_they_belong(app: TestApp) {
    let editor = token(&app);
    let png = uploaded(&app, &editor, "logo.png", transparent_png(1200, 600)).await;
    assert_eq!(png["content_type"], "image/png");
    let formats: Vec<&str> = png["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| v["format"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(formats, ["webp", "png", "webp", "png", "webp", "png"]);
    for variant in png["variants"].as_array().expect("variants") {
        let decoded =
            image::load_from_memory(&fetch_bytes(&app, &variant["url"]).await).expect("decodes");
        let right = decoded.get_pixel(decoded.width() * 3 / 4, decoded.height() / 2);
        let left = decoded.get_pixel(decoded.width() / 4, decoded.height() / 2);
        assert_eq!(
            right[3], 0,
            "{} keeps the transparent half",
            variant["format"]
        );
        assert_eq!(left[3], 255);
    }

    let animation = animated_gif(500, 300);
    let gif = uploaded(&app, &editor, "anim.gif", animation.clone()).await;
    assert_eq!(gif["content_type"], "image/gif");
    let original = fetch_bytes(&app, &gif["url"]).await;
    assert_eq!(original, animation, "the original stays as sent, animated");
    let frames = |bytes: Vec<u8>| {
        use image::AnimationDecoder;
        image::codecs::gif::GifDecoder::new(Cursor::new(bytes))
            .expect("a GIF")
            .into_frames()
            .count()
    };
    assert_eq!(frames(original), 2);
    let variants = gif["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 2, "320 wide only: {variants:?}");
    let still = fetch_bytes(&app, &variants[1]["url"]).await;
    assert_eq!(variants[1]["format"], "gif");
    assert_eq!(frames(still.clone()), 1, "a variant is a still");
    let first = image::load_from_memory(&still).expect("decodes");
    let pixel = first.get_pixel(10, 10);
    assert!(
        pixel[0] > 200 && pixel[2] < 50,
        "the first frame, red: {pixel:?}"
    );
    // A WebP original: one WebP per width (not two), and its original served as sent.
    let webp = encode(
        &DynamicImage::ImageRgba8(RgbaImage::from_fn(800, 400, |x, _| {
            Rgba([200, 40, 40, if x < 400 { 255 } else { 0 }])
        })),
        ImageFormat::WebP,
    );
    let media = uploaded(&app, &editor, "pic.webp", webp).await;
    assert_eq!(media["content_type"], "image/webp");
    let described: Vec<(u64, &str)> = media["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| {
            (
                v["width"].as_u64().unwrap_or(0),
                v["format"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(described, [(320, "webp"), (640, "webp")]);
    for variant in media["variants"].as_array().expect("variants") {
        let decoded =
            image::load_from_memory(&fetch_bytes(&app, &variant["url"]).await).expect("decodes");
        assert_eq!(decoded.height() * 2, decoded.width());
        assert_eq!(
            decoded.get_pixel(decoded.width() * 3 / 4, decoded.height() / 2)[3],
            0,
            "transparency kept"
        );
    }
    // Narrower than every width: no variants at all.
    let small = uploaded(&app, &editor, "dot.png", transparent_png(100, 50)).await;
    assert_eq!(small["variants"], serde_json::json!([]));
}

async fn what_is_not_an_image_we_take_is_refused_before_it_costs(app: TestApp) {
    let editor = token(&app);
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
    let answer = upload(&app, &editor, "logo.svg", svg.to_vec(), None).await;
    let body = problem(answer, 415).await;
    assert_eq!(body["type"], "urn:blog-api:problem:unsupported-media-type");
    let text = upload(
        &app,
        &editor,
        "photo.jpg",
        b"just some text, named .jpg".to_vec(),
        None,
    )
    .await;
    problem(text, 415).await;

    let bomb = upload(
        &app,
        &editor,
        "bomb.png",
        png_declaring(100_000, 100_000),
        None,
    )
    .await;
    let body = problem(bomb, 422).await;
    assert!(
        body["errors"]["file"][0]
            .as_str()
            .expect("a message")
            .contains("100000 x 100000"),
        "{body}"
    );
    let mut truncated = transparent_png(800, 400);
    truncated.truncate(truncated.len() / 2);
    let body = problem(upload(&app, &editor, "cut.png", truncated, None).await, 422).await;
    assert!(
        body["errors"]["file"][0]
            .as_str()
            .expect("message")
            .contains("decoded"),
        "{body}"
    );
    let mut cut_jpeg = jpeg(800, 400);
    cut_jpeg.truncate(cut_jpeg.len() / 3);
    let body = problem(upload(&app, &editor, "cut.jpg", cut_jpeg, None).await, 422).await;
    assert!(
        body["errors"]["file"][0]
            .as_str()
            .expect("message")
            .contains("cut short"),
        "{body}"
    );

    // A form without a file, with an unknown part, with a bad alt; not a form at all; no token.
    let form = Form::new().text("alt", "only words");
    let answer = app
        .client
        .post(format!("{}/media", app.address))
        .bearer_auth(&editor)
        .multipart(form)
        .send()
        .await
        .expect("answer");
    let body = problem(answer, 422).await;
    assert_eq!(body["errors"]["file"][0], "is required: the image");
    let form = Form::new()
        .part("file", Part::bytes(jpeg(64, 64)).file_name("a.jpg"))
        .text("caption", "no such part")
        .text("alt", "line\u{0}break");
    let answer = app
        .client
        .post(format!("{}/media", app.address))
        .bearer_auth(&editor)
        .multipart(form)
        .send()
        .await
        .expect("answer");
    let body = problem(answer, 422).await;
    assert!(
        body["errors"]["caption"].is_array() && body["errors"]["alt"].is_array(),
        "{body}"
    );
    let json = send(
        &app,
        Method::POST,
        "/media",
        Some(&editor),
        Some(serde_json::json!({"file": "x"})),
    )
    .await;
    problem(json, 415).await;
    let anonymous = app
        .client
        .post(format!("{}/media", app.address))
        .multipart(Form::new().part("file", Part::bytes(jpeg(64, 64))))
        .send()
        .await
        .expect("answer");
    problem(anonymous, 401).await;
    // Nothing of the refused uploads was kept.
    assert_eq!(listing(&app, &editor, "/media").await["meta"]["total"], 0);
    assert_eq!(
        std::fs::read_dir(app.database.media.path()).map_or(0, Iterator::count),
        0,
        "no file stored"
    );
}

async fn listing(app: &TestApp, editor: &str, path: &str) -> Value {
    let answer = send(app, Method::GET, path, Some(editor), None).await;
    assert_eq!(answer.status(), StatusCode::OK, "{path}");
    answer.json().await.expect("JSON")
}

async fn editors_list_describe_and_delete_media(app: TestApp) {
    let editor = token(&app);
    let mut ids = Vec::new();
    for size in [100, 200, 300] {
        let media = uploaded(&app, &editor, "p.jpg", jpeg(size, size)).await;
        ids.push(media["id"].as_i64().expect("id"));
    }
    let page = listing(&app, &editor, "/media?per_page=2").await;
    assert_eq!(page["meta"]["total"], 3);
    let first: Vec<i64> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(first, [ids[2], ids[1]], "newest first");
    let cursor = page["meta"]["next_cursor"].as_str().expect("a cursor");
    let rest = listing(&app, &editor, &format!("/media?per_page=2&cursor={cursor}")).await;
    assert_eq!(rest["data"][0]["id"], ids[0]);
    assert_eq!(rest["meta"]["next_cursor"], Value::Null);
    assert_eq!(app.get("/media").await.status(), StatusCode::UNAUTHORIZED);

    let path = format!("/media/{}", ids[0]);
    let changed = send(
        &app,
        Method::PATCH,
        &path,
        Some(&editor),
        Some(serde_json::json!({"alt": "  A square  "})),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(listing(&app, &editor, &path).await["alt"], "A square");
    let bad = send(
        &app,
        Method::PATCH,
        &path,
        Some(&editor),
        Some(serde_json::json!({"alt": "x".repeat(1001)})),
    )
    .await;
    problem(bad, 422).await;
    let cleared = send(
        &app,
        Method::PATCH,
        &path,
        Some(&editor),
        Some(serde_json::json!({"alt": null})),
    )
    .await;
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(listing(&app, &editor, &path).await["alt"], "");
    assert_eq!(
        send(&app, Method::GET, "/media/999999", Some(&editor), None)
            .await
            .status(),
        404
    );

    // A delete takes the row and every file.
    let media = listing(&app, &editor, &path).await;
    let gone = send(&app, Method::DELETE, &path, Some(&editor), None).await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        fetch(&app, &media["url"]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, Method::GET, &path, Some(&editor), None)
            .await
            .status(),
        404
    );
    let folder = media["url"]
        .as_str()
        .and_then(|url| url.split('/').nth(3))
        .expect("folder");
    let left = std::fs::read_dir(app.database.media.path().join(folder)).map_or(0, Iterator::count);
    assert_eq!(left, 0, "no file of a deleted media is left");
    assert_eq!(
        send(&app, Method::DELETE, &path, Some(&editor), None)
            .await
            .status(),
        404
    );
}

async fn files_are_immutable_and_served_by_range(app: TestApp) {
    let editor = token(&app);
    let media = uploaded(&app, &editor, "p.jpg", jpeg(700, 500)).await;
    let whole = fetch(&app, &media["url"]).await;
    assert_eq!(
        whole.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(whole.headers()["content-type"], "image/jpeg");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let tag = whole.headers()["etag"]
        .to_str()
        .expect("an ETag")
        .to_owned();
    assert!(tag.starts_with('"'), "a strong tag: {tag}");
    let bytes = whole.bytes().await.expect("bytes");

    let url = format!("{}{}", app.address, media["url"].as_str().expect("url"));
    let part = app
        .client
        .get(&url)
        .header("Range", "bytes=10-109")
        .send()
        .await
        .expect("answer");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-109/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.expect("bytes"), bytes.slice(10..110));
    let tail = app
        .client
        .get(&url)
        .header("Range", "bytes=-50")
        .send()
        .await
        .expect("answer");
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        tail.bytes().await.expect("bytes"),
        bytes.slice(bytes.len() - 50..)
    );
    let past = app
        .client
        .get(&url)
        .header("Range", format!("bytes={}-", bytes.len()))
        .send()
        .await
        .expect("answer");
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        past.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );
    let unchanged = app
        .client
        .get(&url)
        .header("If-None-Match", &tag)
        .send()
        .await
        .expect("answer");
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    // Gzip asked for: an image is sent as it is.
    let asked = app
        .client
        .get(&url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("answer");
    assert!(asked
        .headers()
        .get("content-encoding")
        .is_none_or(|value| value == "identity"));
    for missing in [
        "/media/files/00000000000000000000000000000000/original.jpg",
        "/media/files/..%2F..%2Fetc/passwd",
        "/media/files/zz/original.jpg",
    ] {
        assert_eq!(
            app.get(missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
}

async fn a_file_over_the_limit_is_refused_before_it_is_read(first: TestApp) {
    let files = tempfile::tempdir().expect("a directory");
    let mut media = blog_api::config::MediaSettings::in_directory(files.path().to_path_buf());
    media.max_bytes = 64 * 1024;
    let options = TestOptions {
        media: Some(media),
        ..TestOptions::default()
    };
    let app = first.another_instance(options).await;
    let editor = token(&app);
    let big = jpeg(1500, 1500);
    assert!(big.len() > 64 * 1024);
    let body = problem(upload(&app, &editor, "big.jpg", big, None).await, 413).await;
    assert!(
        body["detail"]
            .as_str()
            .expect("detail")
            .contains("MEDIA_MAX_BYTES"),
        "{body}"
    );
    // Declared too large: answered at once, without waiting for the 10 MiB the client says will follow.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /media HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {editor}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n--x\r\n",
        10 << 20
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes())
        .await
        .expect("write");
    let mut answer = vec![0_u8; 4096];
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::io::AsyncReadExt::read(&mut stream, &mut answer),
    )
    .await
    .expect("an answer before the body is sent")
    .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(
        uploaded(&app, &editor, "small.jpg", jpeg(100, 100)).await["width"],
        100
    );
}

crate::on_both_backends!(
    a_photo_gets_variants_upright_and_without_its_location,
    transparency_and_animation_are_kept_where_they_belong,
    what_is_not_an_image_we_take_is_refused_before_it_costs,
    editors_list_describe_and_delete_media,
    files_are_immutable_and_served_by_range,
    a_file_over_the_limit_is_refused_before_it_is_read,
);

mod feature_images {
    use super::*;
    use crate::fixture::small_blog;

    async fn posts_show_their_feature_image(app: TestApp) {
        app.import(&small_blog()).await;
        let editor = token(&app);
        let media = uploaded(&app, &editor, "cover.jpg", jpeg(800, 600)).await;
        let id = media["id"].as_i64().expect("id");
        let set = send(
            &app,
            Method::PATCH,
            "/posts/1",
            Some(&editor),
            Some(serde_json::json!({"feature_image_id": id})),
        )
        .await;
        assert_eq!(set.status(), StatusCode::OK);
        let post = app.get_json("/posts/1").await;
        assert_eq!(
            post["feature_image"], media,
            "the media object, as the media API shows it"
        );
        let list = app
            .get_json("/posts?fields=id,feature_image&per_page=100")
            .await;
        for item in list["data"].as_array().expect("data") {
            let keys: Vec<&String> = item.as_object().expect("object").keys().collect();
            assert_eq!(keys, ["feature_image", "id"]);
            if item["id"] == 1 {
                assert_eq!(item["feature_image"]["id"], id);
            } else {
                assert_eq!(item["feature_image"], Value::Null);
            }
        }
        assert_eq!(
            app.get_json("/posts/2/related").await["data"]
                .as_array()
                .map(Vec::is_empty),
            Some(false)
        );

        // Unknown and malformed ids are listed in the 422 beside the other bad fields.
        let unknown = send(&app, Method::POST, "/posts", Some(&editor), Some(serde_json::json!({
            "title": "T", "author": "Ann", "body_markdown": "B", "feature_image_id": 999_999, "tags": ["no-such-tag"]}))).await;
        let body = problem(unknown, 422).await;
        assert_eq!(
            body["errors"]["feature_image_id"][0],
            "no media has the id `999999`"
        );
        assert!(body["errors"]["tags"].is_array(), "{body}");
        let malformed = send(
            &app,
            Method::PATCH,
            "/posts/1",
            Some(&editor),
            Some(serde_json::json!({"feature_image_id": "abc"})),
        )
        .await;
        let body = problem(malformed, 422).await;
        assert!(body["errors"]["feature_image_id"][0]
            .as_str()
            .expect("message")
            .contains("positive integer"));

        // A media a post uses cannot go; once no post uses it, it can.
        let path = format!("/media/{id}");
        let in_use = problem(
            send(&app, Method::DELETE, &path, Some(&editor), None).await,
            409,
        )
        .await;
        assert!(
            in_use["detail"]
                .as_str()
                .expect("detail")
                .contains("post(s) 1"),
            "{in_use}"
        );
        let cleared = send(
            &app,
            Method::PATCH,
            "/posts/1",
            Some(&editor),
            Some(serde_json::json!({"feature_image_id": null})),
        )
        .await;
        assert_eq!(cleared.status(), StatusCode::OK);
        assert_eq!(app.get_json("/posts/1").await["feature_image"], Value::Null);
        let created = send(&app, Method::POST, "/posts", Some(&editor), Some(serde_json::json!({
            "title": "With a cover", "author": "Ann", "body_markdown": "B", "feature_image_id": id}))).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created: Value = created.json().await.expect("JSON");
        assert_eq!(created["feature_image"]["id"], id);
        problem(
            send(&app, Method::DELETE, &path, Some(&editor), None).await,
            409,
        )
        .await;
        let post_path = format!("/posts/{}", created["id"]);
        assert_eq!(
            send(&app, Method::DELETE, &post_path, Some(&editor), None)
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            send(&app, Method::DELETE, &path, Some(&editor), None)
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
    }

    crate::on_both_backends!(posts_show_their_feature_image);
}

mod imports {
    use super::*;

    fn folders(app: &TestApp) -> usize {
        std::fs::read_dir(app.database.media.path()).map_or(0, Iterator::count)
    }

    /// `blog-api import FILE` on the test's database and media directory: (succeeded, stdout, stderr).
    fn import(app: &TestApp, file: &std::path::Path) -> (bool, String, String) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_blog-api"))
            .arg("import")
            .arg(file)
            .env("DATABASE_URL", app.database.url.to_string())
            .env(
                "MEDIA_STORE",
                format!("file://{}", app.database.media.path().display()),
            )
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    async fn an_import_file_brings_its_images(app: TestApp) {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::create_dir(dir.path().join("images")).expect("images/");
        std::fs::write(dir.path().join("images/cover.jpg"), jpeg(900, 600)).expect("write");
        std::fs::write(
            dir.path().join("images/logo.png"),
            transparent_png(400, 200),
        )
        .expect("write");
        let blog = serde_json::json!({
            "media": [
                {"id": 3, "path": "images/cover.jpg", "alt": "A cover"},
                {"id": 4, "path": "images/logo.png"}
            ],
            "posts": [
                {"id": 1, "slug": "with-cover", "title": "With a cover", "author": "Ann", "body_markdown": "Hi.",
                 "published_at": "2024-01-01T00:00:00Z", "feature_image_id": 3},
                {"id": 2, "slug": "plain", "title": "Plain", "author": "Ann", "body_markdown": "Hi.",
                 "published_at": "2024-01-02T00:00:00Z"}
            ]
        });
        let file = dir.path().join("blog.json");
        std::fs::write(&file, blog.to_string()).expect("write");
        let (ok, stdout, stderr) = import(&app, &file);
        assert!(ok, "{stderr}");
        assert!(
            stdout.contains("media: 2 created, 0 updated, 0 unchanged"),
            "{stdout}"
        );
        app.content.invalidate();
        let post = app.get_json("/posts/slug/with-cover").await;
        let image = &post["feature_image"];
        assert_eq!(image["alt"], "A cover");
        assert_eq!(
            (image["width"].as_u64(), image["height"].as_u64()),
            (Some(900), Some(600))
        );
        assert_eq!(image["variants"].as_array().map(Vec::len), Some(4));
        assert_eq!(fetch(&app, &image["url"]).await.status(), StatusCode::OK);
        assert_eq!(
            app.get_json("/posts/slug/plain").await["feature_image"],
            Value::Null
        );
        assert_eq!(folders(&app), 2);

        // Again: nothing changes, nothing more is stored.
        let (ok, stdout, stderr) = import(&app, &file);
        assert!(ok, "{stderr}");
        assert!(
            stdout.contains("media: 0 created, 0 updated, 2 unchanged"),
            "{stdout}"
        );
        assert!(
            stdout.contains("posts: 0 created, 0 updated, 2 unchanged"),
            "{stdout}"
        );
        assert_eq!(folders(&app), 2);

        // A file that is no image stops the import, names the record, and leaves nothing behind.
        std::fs::write(dir.path().join("images/notes.jpg"), "not an image").expect("write");
        let mut broken = blog.clone();
        broken["media"] = serde_json::json!([
            {"id": 5, "path": "images/cover.jpg"},
            {"id": 6, "path": "images/notes.jpg"}
        ]);
        broken["posts"][0]["feature_image_id"] = serde_json::json!(5);
        broken["posts"][1]["feature_image_id"] = serde_json::json!(5);
        std::fs::write(&file, broken.to_string()).expect("write");
        let (ok, _, stderr) = import(&app, &file);
        assert!(!ok);
        assert!(stderr.contains("media[1] (id 6, path"), "{stderr}");
        assert!(stderr.contains("not a JPEG, PNG, WebP or GIF"), "{stderr}");
        assert_eq!(
            folders(&app),
            2,
            "the image stored before the refusal is removed"
        );
        app.content.invalidate();
        assert_eq!(
            app.get_json("/posts/slug/plain").await["feature_image"],
            Value::Null
        );
        let mut missing = blog;
        missing["posts"][1]["feature_image_id"] = serde_json::json!(77);
        std::fs::write(&file, missing.to_string()).expect("write");
        let (ok, _, stderr) = import(&app, &file);
        assert!(!ok);
        assert!(
            stderr.contains("`feature_image_id` 77 is not in `media`"),
            "{stderr}"
        );
    }

    crate::on_both_backends!(an_import_file_brings_its_images);
}
