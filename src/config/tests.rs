//! Settings from variables: defaults, every refusal naming its variable.

use std::collections::HashMap;

use super::*;
use crate::cache::RedisEndpoint;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn defaults_serve_the_embedded_sqlite_database_on_localhost() {
    let settings = settings(&[]).expect("defaults are valid");
    assert_eq!(settings.database_url, DatabaseUrl::Sqlite("blog.db".into()));
    assert_eq!(settings.bind, "127.0.0.1:8080");
    assert_eq!(settings.database_pool_size.get(), 10);
    assert!(settings.redis.is_none());
    assert_eq!(settings.click_sync_interval, Duration::from_secs(5));
    assert_eq!(
        settings.click_ledger_retention,
        Duration::from_secs(7 * 86_400)
    );
    assert_eq!(
        settings.click_stats_retention,
        Duration::from_secs(400 * 86_400)
    );
    assert!(settings.clicks_on_get);
}

#[test]
fn redis_and_click_settings_are_read() {
    let settings = settings(&[
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        ("REDIS_KEY_PREFIX", "site-a"),
        ("CLICK_SYNC_INTERVAL_MS", "50"),
        ("CLICK_LEDGER_RETENTION", "12h"),
        ("CLICKS_ON_GET", "false"),
    ])
    .expect("valid");
    let redis = settings.redis.expect("redis configured");
    assert_eq!(
        (redis.key_prefix.as_str(), redis.timeout),
        ("site-a", Duration::from_millis(500))
    );
    assert_eq!(settings.click_sync_interval, Duration::from_millis(50));
    assert_eq!(
        settings.click_ledger_retention,
        Duration::from_secs(12 * 3600)
    );
    assert!(!settings.clicks_on_get);
    assert_eq!(
        redis.endpoint,
        RedisEndpoint::Single(String::from("redis://127.0.0.1:6379"))
    );
}

#[test]
fn cluster_seeds_are_used_instead_of_redis_url() {
    let settings = settings(&[
        ("REDIS_URL", "redis://127.0.0.1:6379"),
        (
            "REDIS_CLUSTER_URLS",
            "redis://10.0.0.1:7000, redis://10.0.0.2:7000,",
        ),
    ])
    .expect("valid");
    assert_eq!(
        settings.redis.map(|redis| redis.endpoint),
        Some(RedisEndpoint::Cluster(vec![
            String::from("redis://10.0.0.1:7000"),
            String::from("redis://10.0.0.2:7000"),
        ]))
    );
}

#[test]
fn cors_origins_default_to_any_and_take_a_list() {
    assert_eq!(
        settings(&[]).map(|s| s.cors_origins).ok(),
        Some(CorsOrigins::Any)
    );
    let listed = settings(&[("CORS_ORIGINS", "https://a.example, http://localhost:3000/")]);
    assert_eq!(
        listed.map(|s| s.cors_origins).ok(),
        Some(CorsOrigins::List(vec![
            "https://a.example".into(),
            "http://localhost:3000".into()
        ]))
    );
}

#[test]
fn bad_click_settings_name_their_variable() {
    for (name, value) in [
        ("REDIS_URL", "localhost:6379"),
        ("REDIS_CLUSTER_URLS", "redis://10.0.0.1:7000,10.0.0.2:7000"),
        ("REDIS_KEY_PREFIX", "a{b}"),
        ("CLICK_SYNC_INTERVAL_MS", "0"),
        ("CLICK_LEDGER_RETENTION", "7 days"),
        ("CLICKS_ON_GET", "maybe"),
        ("CORS_ORIGINS", "blog.example.com"),
        ("CORS_ORIGINS", "https://*.example.com"),
    ] {
        let mut vars = vec![(name, value)];
        if name == "REDIS_KEY_PREFIX" {
            vars.push(("REDIS_URL", "redis://localhost"));
        }
        let error = settings(&vars)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with(name), "{name}: {error}");
    }
}

#[test]
fn bad_values_name_their_variable() {
    let error = settings(&[("DATABASE_POOL_SIZE", "0")])
        .err()
        .map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.starts_with("DATABASE_POOL_SIZE")));
    let error = settings(&[("DATABASE_URL", "mysql://x")])
        .err()
        .map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.starts_with("DATABASE_URL")));
    let error = settings(&[("BIND", "8080")]).err().map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.starts_with("BIND")));
}

#[test]
fn media_goes_to_a_directory_by_default_or_to_a_bucket() {
    let defaults = settings(&[]).expect("defaults are valid").media;
    assert_eq!(
        defaults.store,
        crate::media::StoreLocation::Directory("./media".into())
    );
    assert_eq!(defaults.max_bytes, 20 << 20);
    assert_eq!(defaults.rules.max_pixels, 50_000_000);
    assert_eq!(defaults.rules.widths, [320, 640, 1024, 1600]);
    assert_eq!(defaults.public_url, None);
    assert_eq!(
        defaults.workers,
        super::cores(),
        "one image worker per core"
    );
    assert_eq!(defaults.worker_priority, crate::media::WorkerPriority::Idle);
    let s3 = settings(&[
        ("MEDIA_STORE", "s3://blog-media"),
        ("MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000/"),
        ("AWS_ACCESS_KEY_ID", "key"),
        ("AWS_SECRET_ACCESS_KEY", "hush-hush-value"),
        ("MEDIA_WIDTHS", "1600, 320,640,320"),
        ("MEDIA_PUBLIC_URL", "https://cdn.example.com/media/"),
        ("MEDIA_WORKERS", "3"),
        ("MEDIA_WORKER_NICE", "0"),
    ])
    .expect("valid");
    assert_eq!(
        (s3.media.workers, s3.media.worker_priority),
        (3, crate::media::WorkerPriority::Nice(0))
    );
    for (value, priority) in [
        ("idle", crate::media::WorkerPriority::Idle),
        ("IDLE", crate::media::WorkerPriority::Idle),
        ("19", crate::media::WorkerPriority::Nice(19)),
    ] {
        let read = settings(&[("MEDIA_WORKER_NICE", value)]).expect(value);
        assert_eq!(read.media.worker_priority, priority);
    }
    let crate::media::StoreLocation::S3(bucket) = &s3.media.store else {
        panic!("a bucket: {:?}", s3.media.store);
    };
    assert_eq!(bucket.bucket, "blog-media");
    assert_eq!(bucket.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(bucket.region, "us-east-1");
    assert!(
        !format!("{bucket:?}").contains("hush-hush"),
        "no secret in logs"
    );
    assert_eq!(s3.media.rules.widths, [320, 640, 1600]);
    assert_eq!(
        s3.media.public_url.as_deref(),
        Some("https://cdn.example.com/media")
    );
    for (name, value) in [
        ("MEDIA_STORE", "ftp://somewhere"),
        ("MEDIA_STORE", "s3://Not_A_Bucket"),
        ("MEDIA_S3_ENDPOINT", "localhost:9000"),
        ("MEDIA_WIDTHS", "320,abc"),
        ("MEDIA_WIDTHS", "0"),
        ("MEDIA_MAX_BYTES", "10"),
        ("MEDIA_MAX_PIXELS", "0"),
        ("MEDIA_PUBLIC_URL", "cdn.example.com"),
        ("MEDIA_WORKERS", "0"),
        ("MEDIA_WORKER_NICE", "20"),
        ("MEDIA_WORKER_NICE", "-5"),
        ("MEDIA_WORKER_NICE", "lowest"),
    ] {
        let error = settings(&[(name, value)]).expect_err(value).to_string();
        assert!(error.starts_with(name), "{error}");
    }
}
