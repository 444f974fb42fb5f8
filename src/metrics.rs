//! Counters for `/metrics` (Prometheus text format). Each instance counts its own; Prometheus sums them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Clicks moved from the cache to the database.
    pub clicks_synced: AtomicU64,
}

/// Point-in-time values read when `/metrics` is rendered.
#[derive(Debug, Clone, Copy)]
pub struct Gauges {
    pub cache_available: bool,
    pub cache_round_trips: u64,
    pub db_statements: u64,
    pub db_connections: u32,
    pub db_idle_connections: u32,
}

pub fn add(counter: &AtomicU64, amount: u64) {
    counter.fetch_add(amount, Ordering::Relaxed);
}

impl Metrics {
    /// Every counter of [`Metrics`] with its name and help text.
    fn counters(&self) -> [(&'static str, &'static str, &AtomicU64); 12] {
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
        let _ = writeln!(
            out,
            "# HELP blog_api_cache_available 1 while the click cache answers, 0 while clicks go to the database.\n\
             # TYPE blog_api_cache_available gauge\nblog_api_cache_available{{backend=\"{cache_backend}\"}} {}",
            u8::from(gauges.cache_available)
        );
        out
    }
}
