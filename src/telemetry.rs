//! Logging: structured `tracing` output, filtered by `RUST_LOG` (default `info`), as text or JSON lines
//! (`LOG_FORMAT`).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
}

pub use crate::redact::redact;

/// The error and all its sources on one line, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Lets a repeated warning through at most once per interval, with the number held back since the last one
/// (a fallback taken by every request of an outage must not flood the log).
#[derive(Debug)]
pub struct LogEvery {
    interval: std::time::Duration,
    last: std::sync::Mutex<Option<std::time::Instant>>,
    held_back: std::sync::atomic::AtomicU64,
}

impl LogEvery {
    pub fn new(interval: std::time::Duration) -> Self {
        LogEvery {
            interval,
            last: std::sync::Mutex::new(None),
            held_back: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `Some(held back)` when this occurrence should be logged, `None` when it is held back.
    pub fn due(&self) -> Option<u64> {
        use std::sync::atomic::Ordering;
        let now = std::time::Instant::now();
        let Ok(mut last) = self.last.lock() else {
            return Some(0);
        };
        if last.is_some_and(|at| now.duration_since(at) < self.interval) {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(now);
        Some(self.held_back.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_warning_is_let_through_once_per_interval_with_the_count_held_back() {
        let every = LogEvery::new(std::time::Duration::from_secs(3600));
        assert_eq!(every.due(), Some(0));
        assert_eq!(every.due(), None);
        assert_eq!(every.due(), None);
        let instant = LogEvery::new(std::time::Duration::ZERO);
        assert_eq!(instant.due(), Some(0));
        assert_eq!(instant.due(), Some(0));
    }
}
