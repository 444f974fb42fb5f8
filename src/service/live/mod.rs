//! Live streams (README "Live streams"): what a Server-Sent Events stream needs whatever it carries. Each
//! open stream holds a place ([`StreamPlace`]) among `SSE_MAX_STREAMS`; a stop closes every stream at
//! once ([`Streams::close_all`]), so that a graceful stop waits for no reader. What the streams carry:
//! [`counts`] (a post's displayed count) and [`events`] (the public content events of the outbox).

pub mod counts;
pub mod events;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;
use crate::metrics::Metrics;

pub use counts::LiveCounts;
pub use events::{LiveEvents, Outgoing};

/// How long a client refused for want of a place is asked to wait before it tries again.
const RETRY_AFTER_SECONDS: u64 = 5;

/// This instance's event streams: at most `SSE_MAX_STREAMS` open, all ended by a stop.
pub struct Streams {
    places: Arc<Semaphore>,
    closing: watch::Sender<bool>,
    metrics: Arc<Metrics>,
}

impl Streams {
    pub fn new(max_streams: usize, metrics: Arc<Metrics>) -> Self {
        Streams {
            places: Arc::new(Semaphore::new(max_streams)),
            closing: watch::Sender::new(false),
            metrics,
        }
    }

    /// A place for one more stream; `Busy` (503 with `Retry-After`) when all are taken or the instance is
    /// stopping.
    pub fn open(&self) -> Result<StreamPlace, ApiError> {
        let refused = || {
            ApiError::Busy(
                "this instance has as many event streams open as SSE_MAX_STREAMS allows",
                RETRY_AFTER_SECONDS,
            )
        };
        if *self.closing.borrow() {
            return Err(refused());
        }
        let permit = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| refused())?;
        self.metrics.sse_streams.fetch_add(1, Ordering::Relaxed);
        Ok(StreamPlace {
            _permit: permit,
            closing: self.closing.subscribe(),
            metrics: self.metrics.clone(),
        })
    }

    /// Ends every stream (each at its next poll) and refuses new ones: the first step of a stop.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when the instance stops.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

/// One open stream's place: given back when the stream is dropped (its client gone, or the stream ended).
pub struct StreamPlace {
    _permit: OwnedSemaphorePermit,
    closing: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
}

impl StreamPlace {
    /// Resolves when the instance begins to stop.
    pub async fn closed(&mut self) {
        // An error means the sender is gone with the whole service: closed too.
        let _ = self.closing.wait_for(|closing| *closing).await;
    }
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        self.metrics.sse_streams.fetch_sub(1, Ordering::Relaxed);
    }
}
