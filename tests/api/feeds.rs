//! Feeds and sitemaps, read back by the feed crates' own parsers: only published posts, hostile titles
//! escaped, new content after a publication or an edit, and a sitemap split into an index at the limit.

use reqwest::Method;
use serde_json::json;

use crate::fixture::{sample_blog, small_blog};
use crate::helpers::{TestApp, TestOptions};
use crate::post_writes::{send, token};

async fn text_of(app: &TestApp, path: &str, media: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with(media), "{path}: {content_type}");
    assert!(response.headers().contains_key("etag"), "{path}");
    response.text().await.expect("a body")
}

async fn rss(app: &TestApp, path: &str) -> rss::Channel {
    let text = text_of(app, path, "application/rss+xml").await;
    rss::Channel::read_from(text.as_bytes())
        .unwrap_or_else(|error| panic!("{path}: {error}\n{text}"))
}

async fn atom(app: &TestApp, path: &str) -> atom_syndication::Feed {
    let text = text_of(app, path, "application/atom+xml").await;
    atom_syndication::Feed::read_from(text.as_bytes())
        .unwrap_or_else(|error| panic!("{path}: {error}\n{text}"))
}

fn rss_links(channel: &rss::Channel) -> Vec<String> {
    channel
        .items()
        .iter()
        .filter_map(|item| item.link().map(str::to_owned))
        .collect()
}

fn atom_links(feed: &atom_syndication::Feed) -> Vec<String> {
    feed.entries()
        .iter()
        .map(|entry| entry.id().to_owned())
        .collect()
}

async fn feeds_carry_published_posts_only_newest_first(app: TestApp) {
    app.import(&small_blog()).await;
    let base = format!("http://{}", app.address.trim_start_matches("http://"));
    let newest_first: Vec<String> = ["zebra-notes", "redis-counters", "hello-rust", "apple-pie"]
        .iter()
        .map(|slug| format!("{base}/posts/{slug}"))
        .collect();
    let channel = rss(&app, "/feed.rss").await;
    assert_eq!(rss_links(&channel), newest_first);
    let feed = atom(&app, "/feed.atom").await;
    assert_eq!(atom_links(&feed), newest_first);

    // What an item carries: title, excerpt, sanitized body, author, category and tags, date.
    let hello = channel
        .items()
        .iter()
        .find(|item| item.title() == Some("Hello Rust"))
        .expect("Hello Rust");
    assert_eq!(hello.description(), Some("Rust is fast."));
    assert!(hello
        .content()
        .is_some_and(|html| html.contains("<strong>fast</strong>")));
    assert_eq!(
        hello.dublin_core_ext().map(|dc| dc.creators().to_vec()),
        Some(vec![String::from("Ada")])
    );
    let names: Vec<&str> = hello.categories().iter().map(rss::Category::name).collect();
    assert_eq!(names, ["Programming", "rust"]);
    assert_eq!(hello.pub_date(), Some("Mon, 1 Jan 2024 10:00:00 +0000"));
    let entry = feed
        .entries()
        .iter()
        .find(|entry| entry.title().as_str() == "Hello Rust")
        .expect("Hello Rust");
    assert_eq!(entry.authors()[0].name(), "Ada");
    assert!(entry
        .content()
        .and_then(|content| content.value())
        .is_some_and(|html| html.contains("<strong>fast</strong>")));

    // Per category and per tag; never the draft (tag 2) or the scheduled post (tag 1).
    assert_eq!(
        rss_links(&rss(&app, "/categories/programming/feed.rss").await),
        [newest_first[0].clone(), newest_first[2].clone()]
    );
    assert_eq!(
        atom_links(&atom(&app, "/tags/rust/feed.atom").await),
        [newest_first[1].clone(), newest_first[2].clone()]
    );
    assert_eq!(
        rss_links(&rss(&app, "/tags/redis/feed.rss").await),
        [newest_first[1].clone()]
    );
    assert!(atom(&app, "/categories/empty/feed.atom")
        .await
        .entries()
        .is_empty());
    for path in ["/categories/nope/feed.rss", "/tags/nope/feed.atom"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    assert_eq!(app.get("/feed.rss?page=2").await.status(), 400);
    let everything = format!(
        "{}{}",
        text_of(&app, "/feed.rss", "application/rss+xml").await,
        text_of(&app, "/feed.atom", "application/atom+xml").await
    );
    for hidden in [
        "draft-post",
        "scheduled-post",
        "Secret draft",
        "Future post",
    ] {
        assert!(!everything.contains(hidden), "{hidden} leaked");
    }
}

async fn feeds_escape_hostile_titles_and_follow_publication_and_edits(app: TestApp) {
    app.import(&small_blog()).await;
    let token = token(&app);
    let before = app.get("/feed.atom").await;
    let etag = before.headers().get("etag").cloned().expect("an ETag");
    let hostile = "</title><script>alert(1)</script> & \"quotes\" ]]>";
    let created = send(
        &app,
        Method::POST,
        "/posts",
        Some(&token),
        Some(
            json!({"title": hostile, "author": "<b>Mallory</b>", "body_markdown": "Hi ]]> there",
                    "published_at": null}),
        ),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.expect("JSON");
    // A draft changes nothing a feed shows.
    let unchanged = app
        .client
        .get(format!("{}/feed.atom", app.address))
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(unchanged.status(), 304);

    let published = send(
        &app,
        Method::PATCH,
        &format!("/posts/{}", created["id"]),
        Some(&token),
        Some(json!({"published_at": "2026-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!(published.status(), 200);
    let changed = app
        .client
        .get(format!("{}/feed.atom", app.address))
        .header("If-None-Match", etag)
        .send()
        .await
        .expect("answers");
    assert_eq!(
        changed.status(),
        200,
        "the feed changed with the publication"
    );
    let raw_rss = text_of(&app, "/feed.rss", "application/rss+xml").await;
    let raw_atom = text_of(&app, "/feed.atom", "application/atom+xml").await;
    for raw in [&raw_rss, &raw_atom] {
        assert!(!raw.contains("<script>"), "unescaped: {raw}");
    }
    let channel = rss::Channel::read_from(raw_rss.as_bytes()).expect("RSS");
    assert_eq!(channel.items()[0].title(), Some(hostile));
    assert!(channel.items()[0]
        .content()
        .is_some_and(|html| html.contains("]]&gt; there") || html.contains("]]> there")));
    let feed = atom_syndication::Feed::read_from(raw_atom.as_bytes()).expect("Atom");
    assert_eq!(feed.entries()[0].title().as_str(), hostile);
    assert_eq!(feed.entries()[0].authors()[0].name(), "<b>Mallory</b>");

    let edited = send(
        &app,
        Method::PATCH,
        &format!("/posts/{}", created["id"]),
        Some(&token),
        Some(json!({"title": "Calm now"})),
    )
    .await;
    assert_eq!(edited.status(), 200);
    assert_eq!(
        rss(&app, "/feed.rss").await.items()[0].title(),
        Some("Calm now")
    );
}

fn locs(xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut locs = Vec::new();
    let mut loc: Option<String> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) if start.name().as_ref() == b"loc" => loc = Some(String::new()),
            Event::Text(text) => {
                if let Some(loc) = &mut loc {
                    loc.push_str(&text.decode().expect("UTF-8"));
                }
            }
            Event::GeneralRef(entity) => {
                if let Some(loc) = &mut loc {
                    let reference = format!("&{};", entity.decode().expect("UTF-8"));
                    loc.push_str(&quick_xml::escape::unescape(&reference).expect("an entity"));
                }
            }
            Event::End(end) if end.name().as_ref() == b"loc" => locs.extend(loc.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    locs
}

async fn the_sitemap_lists_every_published_page_and_splits_at_the_limit(app: TestApp) {
    app.import(&small_blog()).await;
    let site = TestOptions::default().site;
    let split = app
        .another_instance(TestOptions {
            site: blog_api::config::SiteSettings {
                url: Some(String::from("https://blog.example.com")),
                post_url_pattern: String::from("/{id}/{slug}"),
                sitemap_max_urls: 3,
                ..site
            },
            ..TestOptions::default()
        })
        .await;
    let xml = text_of(&split, "/sitemap.xml", "application/xml").await;
    assert!(xml.contains("<sitemapindex"), "{xml}");
    // Four posts, two categories and two tags holding one: three files of at most three.
    let files = locs(&xml);
    assert_eq!(
        files,
        (1..=3)
            .map(|n| format!("https://blog.example.com/sitemap-{n}.xml"))
            .collect::<Vec<_>>()
    );
    let mut all = Vec::new();
    for n in 1..=3 {
        let file = text_of(&split, &format!("/sitemap-{n}.xml"), "application/xml").await;
        assert!(
            file.contains("<urlset") && file.contains("<lastmod>"),
            "{file}"
        );
        all.extend(locs(&file));
    }
    assert_eq!(
        all,
        [
            "https://blog.example.com/6/apple-pie",
            "https://blog.example.com/1/hello-rust",
            "https://blog.example.com/2/redis-counters",
            "https://blog.example.com/3/zebra-notes",
            "https://blog.example.com/categories/databases",
            "https://blog.example.com/categories/programming",
            "https://blog.example.com/tags/redis",
            "https://blog.example.com/tags/rust",
        ]
    );
    assert_eq!(split.get("/sitemap-4.xml").await.status(), 404);
    assert_eq!(split.get("/sitemap-0.xml").await.status(), 400);
    // Under the limit, one file.
    let single = text_of(&app, "/sitemap.xml", "application/xml").await;
    assert!(single.contains("<urlset"));
    assert_eq!(locs(&single).len(), 8);
}

async fn the_sample_blogs_sitemap_lists_its_1816_published_posts(app: TestApp) {
    let Some(json) = sample_blog() else {
        return;
    };
    app.import(&json).await;
    let urls = locs(&text_of(&app, "/sitemap.xml", "application/xml").await);
    let posts = urls.iter().filter(|url| url.contains("/posts/")).count();
    assert_eq!(posts, 1816);
    assert!(urls.iter().any(|url| url.contains("/categories/")));
    assert!(urls.iter().any(|url| url.contains("/tags/")));
    assert_eq!(rss(&app, "/feed.rss").await.items().len(), 20, "FEED_ITEMS");
}

/// Feeds and sitemaps come from the content cache: read again, they send no statement; after the cache is
/// dropped, ten concurrent reads of the sitemap load it once (each `/sitemap-N.xml` used to load every
/// published post to keep one slice, every time).
async fn feeds_and_sitemaps_are_served_from_memory_and_loaded_once(app: TestApp) {
    app.import(&small_blog()).await;
    let paths = [
        "/feed.rss",
        "/feed.atom",
        "/tags/rust/feed.atom",
        "/categories/programming/feed.rss",
        "/sitemap.xml",
    ];
    let mut first = Vec::new();
    for path in paths {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        first.push(response.text().await.expect("a body"));
    }
    let before = app.queries.get();
    for (path, body) in paths.iter().zip(&first) {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(&response.text().await.expect("a body"), body, "{path}");
    }
    assert_eq!(
        app.queries.get(),
        before,
        "served from memory: no statement"
    );

    app.content.invalidate();
    let before = app.queries.get();
    assert_eq!(app.get("/sitemap.xml").await.status(), 200);
    let one_load = app.queries.get() - before;
    assert!(one_load > 0, "a dropped cache is read again");
    app.content.invalidate();
    let before = app.queries.get();
    let reads = (0..10).map(|_| app.get("/sitemap.xml"));
    for response in futures::future::join_all(reads).await {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        app.queries.get() - before,
        one_load,
        "ten concurrent reads, one load"
    );
}

crate::on_both_backends!(
    feeds_and_sitemaps_are_served_from_memory_and_loaded_once,
    feeds_carry_published_posts_only_newest_first,
    feeds_escape_hostile_titles_and_follow_publication_and_edits,
    the_sitemap_lists_every_published_page_and_splits_at_the_limit,
    the_sample_blogs_sitemap_lists_its_1816_published_posts,
);
