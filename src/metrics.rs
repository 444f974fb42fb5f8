//! Counters for `/metrics` (Prometheus text format). Each instance counts its own; Prometheus sums them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the click path and the sync have done since start.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Clicks recorded in the click cache.
    pub clicks_cached: AtomicU64,
    /// Clicks added straight to the database because the cache could not take them.
    pub clicks_fallback: AtomicU64,
    /// Counts shown from the database alone because the cache could not be read.
    pub reads_from_synced_counts: AtomicU64,
    /// Clicks whose cache call was ambiguous (a time-out after sending), parked to be sent again.
    pub clicks_parked: AtomicU64,
    /// Parked clicks sent again: counted by that call, or found counted by their first call.
    pub parked_clicks_counted: AtomicU64,
    pub parked_clicks_already_counted: AtomicU64,
    /// Drained batches found in the ledger with other content: they came back from the past.
    pub batches_resurrected: AtomicU64,
    /// Sync passes that completed, and that failed (and will be retried).
    pub sync_passes: AtomicU64,
    pub sync_failures: AtomicU64,
    /// Batches applied, and batches found already applied (by another instance or an earlier pass).
    pub batches_applied: AtomicU64,
    pub batches_already_applied: AtomicU64,
    /// Announcements of a new content version heard (PostgreSQL).
    pub content_announcements: AtomicU64,
    /// Reads that did not use the content cache because its version had not been checked successfully
    /// within `CONTENT_CACHE_MAX_STALENESS_MS`.
    pub content_cache_bypassed: AtomicU64,
    /// Clicks moved from the cache to the database.
    pub clicks_synced: AtomicU64,
    /// Requests served, by method, route template and status, with their latency.
    pub requests: Mutex<BTreeMap<RequestLabels, Histogram>>,
    /// How long sync passes took (those that failed too).
    pub sync_duration: Mutex<Histogram>,
    /// Set by the first sync pass that fails after a successful one, cleared by the next success: a batch
    /// it drained may wait in flight since then.
    pub unsynced_since: Mutex<Option<Instant>>,
    /// Webhook attempts by what came of them: delivered, to be retried, given up.
    pub webhooks_delivered: AtomicU64,
    pub webhooks_retried: AtomicU64,
    pub webhooks_failed: AtomicU64,
    /// The outbox as the delivery worker last saw it: pending deliveries, and the Unix time the oldest was
    /// made (0: none).
    pub webhook_backlog: AtomicU64,
    /// Event streams open on this instance (`/posts/{id}/live`, `/events`).
    pub sse_streams: AtomicU64,
    pub webhook_oldest_pending: AtomicU64,
}

/// The labels of a request series. The route is the template that matched (`/posts/{id}`), or `unmatched`:
/// never the raw path, so a scan of random paths adds no series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestLabels {
    pub method: &'static str,
    pub route: String,
    pub status: u16,
}

/// The latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A Prometheus histogram: counts per bucket (not cumulative here; summed when rendered), sum and count.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn observe(&mut self, took: Duration) {
        let seconds = took.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|&bound| seconds <= bound) {
            if let Some(slot) = self.buckets.get_mut(bucket) {
                *slot += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    /// The `_bucket`, `_sum` and `_count` lines of `name` with `labels` (`key="value",...`, or empty).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let separator = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = |text: &str| {
            if text.is_empty() {
                String::new()
            } else {
                format!("{{{text}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {}", braces(labels), self.sum);
        let _ = writeln!(out, "{name}_count{} {}", braces(labels), self.count);
    }
}

/// Point-in-time values read when `/metrics` is rendered.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    /// When the page is rendered, on the real clock (ages are measured from it).
    pub at: chrono::NaiveDateTime,
    pub cache_available: bool,
    pub cache_round_trips: u64,
    pub db_statements: u64,
    pub db_connections: u32,
    pub db_idle_connections: u32,
    pub db_max_connections: u32,
}

pub fn add(counter: &AtomicU64, amount: u64) {
    counter.fetch_add(amount, Ordering::Relaxed);
}

/// Sets a gauge.
pub fn set(gauge: &AtomicU64, value: u64) {
    gauge.store(value, Ordering::Relaxed);
}

impl Metrics {
    /// One request served.
    pub fn observe_request(&self, labels: RequestLabels, took: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            requests.entry(labels).or_default().observe(took);
        }
    }

    /// One sync pass done (or failed) after `took`.
    pub fn observe_sync(&self, took: Duration, succeeded: bool, started: Instant) {
        if let Ok(mut histogram) = self.sync_duration.lock() {
            histogram.observe(took);
        }
        if let Ok(mut since) = self.unsynced_since.lock() {
            if succeeded {
                *since = None;
            } else if since.is_none() {
                *since = Some(started);
            }
        }
    }

    /// Every counter of [`Metrics`] with its name and help text.
    fn counters(&self) -> [(&'static str, &'static str, &AtomicU64); 14] {
        [
            (
                "clicks_cached_total",
                "Clicks recorded in the click cache.",
                &self.clicks_cached,
            ),
            (
                "clicks_fallback_total",
                "Clicks added straight to the database because the click cache was unavailable.",
                &self.clicks_fallback,
            ),
            (
                "reads_from_synced_counts_total",
                "Reads whose counts came from the database alone because the click cache could not be read.",
                &self.reads_from_synced_counts,
            ),
            (
                "clicks_parked_total",
                "Clicks whose cache call was ambiguous (sent, no reply in time), parked to be sent again with their id.",
                &self.clicks_parked,
            ),
            (
                "parked_clicks_counted_total",
                "Parked clicks sent again that the cache counted then (their first call had not run).",
                &self.parked_clicks_counted,
            ),
            (
                "parked_clicks_already_counted_total",
                "Parked clicks sent again that the cache had counted already (their first call ran).",
                &self.parked_clicks_already_counted,
            ),
            (
                "click_batches_resurrected_total",
                "Drained batches whose id the ledger held with other content: they came back from the past; not applied again.",
                &self.batches_resurrected,
            ),
            (
                "content_announcements_total",
                "Announcements of a new content version heard from PostgreSQL (each drops the content cache if the version moved).",
                &self.content_announcements,
            ),
            (
                "content_cache_bypassed_total",
                "Reads sent to the database instead of the content cache because the content version had not been checked successfully within CONTENT_CACHE_MAX_STALENESS_MS.",
                &self.content_cache_bypassed,
            ),
            (
                "click_sync_passes_total",
                "Click sync passes that completed.",
                &self.sync_passes,
            ),
            (
                "click_sync_failures_total",
                "Click sync passes that failed (their clicks stay in the cache and are retried).",
                &self.sync_failures,
            ),
            (
                "click_batches_applied_total",
                "Click batches applied to the database.",
                &self.batches_applied,
            ),
            (
                "click_batches_already_applied_total",
                "Click batches the ledger showed as applied before; skipped.",
                &self.batches_already_applied,
            ),
            (
                "clicks_synced_total",
                "Clicks moved from the cache to the database.",
                &self.clicks_synced,
            ),
        ]
    }

    /// The webhook series: attempts by result, the outbox's backlog and its oldest age.
    fn render_webhooks(&self, out: &mut String, at: chrono::NaiveDateTime) {
        let mut gauge = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP blog_api_{name} {help}\n# TYPE blog_api_{name} gauge\nblog_api_{name} {value}");
        };
        let oldest = self.webhook_oldest_pending.load(Ordering::Relaxed);
        gauge(
            "webhook_backlog",
            "Webhook deliveries pending (waiting for an attempt or a retry), in the whole database.",
            self.webhook_backlog.load(Ordering::Relaxed),
        );
        gauge(
            "webhook_oldest_pending_seconds",
            "Age of the oldest pending webhook delivery (0 when none).",
            if oldest == 0 {
                0
            } else {
                u64::try_from(at.and_utc().timestamp())
                    .unwrap_or(0)
                    .saturating_sub(oldest)
            },
        );
        let _ = writeln!(
            out,
            "# HELP blog_api_webhook_deliveries_total Webhook attempts by result: delivered (2xx), retried \
             (failed, another attempt scheduled), failed (refused, or given up after WEBHOOK_MAX_AGE).\n\
             # TYPE blog_api_webhook_deliveries_total counter"
        );
        for (result, counter) in [
            ("delivered", &self.webhooks_delivered),
            ("retried", &self.webhooks_retried),
            ("failed", &self.webhooks_failed),
        ] {
            let _ = writeln!(
                out,
                "blog_api_webhook_deliveries_total{{result=\"{result}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
    }

    /// The Prometheus text exposition of every counter and gauge.
    pub fn render(&self, gauges: Gauges, cache_backend: &str) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP blog_api_{name} {help}\n# TYPE blog_api_{name} {kind}\nblog_api_{name} {value}");
        };
        for (name, help, counter) in self.counters() {
            metric(name, "counter", help, counter.load(Ordering::Relaxed));
        }
        metric(
            "cache_round_trips_total",
            "counter",
            "Round trips to the click cache.",
            gauges.cache_round_trips,
        );
        metric(
            "db_statements_total",
            "counter",
            "SQL statements sent.",
            gauges.db_statements,
        );
        metric(
            "db_connections",
            "gauge",
            "Open database connections in the pool.",
            u64::from(gauges.db_connections),
        );
        metric(
            "db_idle_connections",
            "gauge",
            "Idle database connections in the pool.",
            u64::from(gauges.db_idle_connections),
        );
        metric(
            "db_max_connections",
            "gauge",
            "The pool's size (DATABASE_POOL_SIZE): busy connections are db_connections - db_idle_connections.",
            u64::from(gauges.db_max_connections),
        );
        metric(
            "sse_streams",
            "gauge",
            "Event streams open on this instance (/posts/{id}/live, /events), at most SSE_MAX_STREAMS.",
            self.sse_streams.load(Ordering::Relaxed),
        );
        let unsynced = self
            .unsynced_since
            .lock()
            .ok()
            .and_then(|since| *since)
            .map_or(0, |since| since.elapsed().as_secs());
        metric(
            "click_oldest_in_flight_batch_seconds",
            "gauge",
            "Seconds since the first sync pass that failed after the last successful one: how long a batch it \
             drained may have waited in flight (0 while passes succeed).",
            unsynced,
        );
        self.render_webhooks(&mut out, gauges.at);
        let _ = writeln!(
            out,
            "# HELP blog_api_cache_available 1 while the click cache answers, 0 while clicks go to the database.\n\
             # TYPE blog_api_cache_available gauge\nblog_api_cache_available{{backend=\"{cache_backend}\"}} {}",
            u8::from(gauges.cache_available)
        );
        let _ = writeln!(
            out,
            "# HELP blog_api_click_sync_duration_seconds How long click sync passes took.\n\
             # TYPE blog_api_click_sync_duration_seconds histogram"
        );
        if let Ok(histogram) = self.sync_duration.lock() {
            histogram.render(&mut out, "blog_api_click_sync_duration_seconds", "");
        }
        let _ = writeln!(
            out,
            "# HELP blog_api_http_request_duration_seconds Requests served, by method, route template and status.\n\
             # TYPE blog_api_http_request_duration_seconds histogram"
        );
        if let Ok(requests) = self.requests.lock() {
            for (labels, histogram) in requests.iter() {
                let labels = format!(
                    "method=\"{}\",route=\"{}\",status=\"{}\"",
                    labels.method, labels.route, labels.status
                );
                histogram.render(&mut out, "blog_api_http_request_duration_seconds", &labels);
            }
        }
        out
    }
}
