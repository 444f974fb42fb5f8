//! The content cache's own rules: what a drop, a new version, the staleness bound and a zero size do.

use super::*;

fn post(id: i64) -> Arc<RenderedPost> {
    Arc::new(RenderedPost::new(PostDetail::sample(id)))
}

fn by_id(id: i64) -> PostKey {
    PostKey::Id(crate::domain::ResourceId::parse("id", &id.to_string()).expect("positive"))
}

#[test]
fn a_read_that_raced_a_drop_is_not_kept() {
    let cache = ContentCache::new(1 << 20);
    let before = cache.ticket();
    cache.invalidate();
    cache.keep_post(before, post(1));
    assert!(cache.post(&by_id(1)).is_none());
    cache.keep_post(cache.ticket(), post(1));
    assert!(cache.post(&by_id(1)).is_some());
}

#[test]
fn a_new_content_version_drops_everything() {
    let cache = ContentCache::new(1 << 20);
    cache.observe(7);
    cache.keep_post(cache.ticket(), post(2));
    cache.observe(7);
    assert!(cache.post(&by_id(2)).is_some(), "the same version keeps it");
    cache.observe(8);
    assert!(cache.post(&by_id(2)).is_none());
}

#[test]
fn past_the_staleness_bound_without_a_check_nothing_is_served_from_memory() {
    let metrics = Arc::new(Metrics::default());
    let cache =
        ContentCache::new(1 << 20).with_max_staleness(Duration::from_millis(50), metrics.clone());
    cache.observe(1);
    cache.keep_post(cache.ticket(), post(4));
    assert!(cache.post(&by_id(4)).is_some(), "checked just now");
    std::thread::sleep(Duration::from_millis(80));
    assert!(
        cache.post(&by_id(4)).is_none(),
        "no check for 80 ms: bypassed"
    );
    assert_eq!(metrics.content_cache_bypassed.load(Ordering::Relaxed), 1);
    cache.observe(1);
    assert!(
        cache.post(&by_id(4)).is_some(),
        "a successful check serves it again"
    );
}

#[test]
fn a_zero_size_cache_keeps_nothing() {
    let cache = ContentCache::new(0);
    cache.keep_post(cache.ticket(), post(3));
    assert!(cache.post(&by_id(3)).is_none());
}
