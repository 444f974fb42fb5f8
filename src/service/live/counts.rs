//! `GET /posts/{id}/live`: a post's displayed count, pushed when it changes.
//!
//! Views cost nothing more: no message is published per click. Instead each instance keeps one watch channel
//! per post some stream of its own listens to, and one task reads the fresh counts of all those posts from
//! the click cache once a second ([`ClickCounter::counts`]: one round trip, however many streams and
//! views) and wakes the streams whose post's count moved. Every instance reads the same shared totals, so
//! a view through any instance reaches every stream within a refresh and a coalescing period (about 2 s),
//! at a cost of one round trip a second per instance with streams open, and none without.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::{StreamPlace, Streams};
use crate::domain::clock::Clock;
use crate::error::ApiError;
use crate::service::clicks::ClickCounter;

/// How often the watched posts' counts are read, and the shortest time between two events of a stream.
pub const PERIOD: Duration = Duration::from_secs(1);

/// The posts some stream watches, each with the count last read.
type Watched = Mutex<HashMap<i64, watch::Sender<i64>>>;

/// The live counts of this instance.
pub struct LiveCounts {
    counter: ClickCounter,
    clock: Clock,
    streams: Arc<Streams>,
    watched: Arc<Watched>,
}

impl LiveCounts {
    /// Starts the task that refreshes the watched counts (it ends when the streams close or this is
    /// dropped). Call from within the runtime.
    pub fn start(counter: ClickCounter, clock: Clock, streams: Arc<Streams>) -> Self {
        let watched = Arc::new(Watched::default());
        tokio::spawn(refresh(
            Arc::downgrade(&watched),
            counter.clone(),
            streams.closing(),
        ));
        LiveCounts {
            counter,
            clock,
            streams,
            watched,
        }
    }

    /// The stream of a published post's displayed count: the count now, then each new count, at most one a
    /// second (changes in between coalesced). `NotFound` for drafts, scheduled posts and unknown ids;
    /// `Busy` when `SSE_MAX_STREAMS` are open. Listening is not a view.
    pub async fn open(&self, post_id: i64) -> Result<impl Stream<Item = i64> + 'static, ApiError> {
        // The place first: a flood of streams past the limit is refused before any read.
        let place = self.streams.open()?;
        let count = self.counter.click_count(post_id, self.clock.now()).await?;
        let receiver = self
            .watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(post_id)
            .or_insert_with(|| watch::Sender::new(count))
            .subscribe();
        let watching = Watching {
            receiver,
            place,
            shown: None,
            first: count,
            last_event: Instant::now(),
        };
        Ok(futures_util::stream::unfold(watching, Watching::next))
    }
}

/// One stream's state.
struct Watching {
    receiver: watch::Receiver<i64>,
    place: StreamPlace,
    /// The count of the last event sent (none before the first).
    shown: Option<i64>,
    /// The count read when the stream opened: its first event.
    first: i64,
    last_event: Instant,
}

impl Watching {
    /// The next event's count, or `None` when the stream ends (the instance stops).
    async fn next(mut self) -> Option<(i64, Self)> {
        if self.shown.is_none() {
            self.shown = Some(self.first);
            self.last_event = Instant::now();
            return Some((self.first, self));
        }
        loop {
            tokio::select! {
                biased;
                () = self.place.closed() => return None,
                changed = self.receiver.changed() => changed.ok()?,
            }
            // At most one event a period: what changes meanwhile is coalesced into the count read after it.
            tokio::select! {
                biased;
                () = self.place.closed() => return None,
                () = tokio::time::sleep_until(self.last_event + PERIOD) => {}
            }
            let count = *self.receiver.borrow_and_update();
            if self.shown != Some(count) {
                self.shown = Some(count);
                self.last_event = Instant::now();
                return Some((count, self));
            }
        }
    }
}

/// Reads the watched posts' counts once a period and wakes the streams of those that moved; forgets posts
/// no stream watches any more.
async fn refresh(
    watched: Weak<Watched>,
    counter: ClickCounter,
    mut closing: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = closing.wait_for(|closing| *closing) => return,
        }
        let Some(watched) = watched.upgrade() else {
            return;
        };
        let shown: HashMap<i64, i64> = {
            let mut posts = watched.lock().unwrap_or_else(PoisonError::into_inner);
            posts.retain(|_, sender| sender.receiver_count() > 0);
            posts
                .iter()
                .map(|(post, sender)| (*post, *sender.borrow()))
                .collect()
        };
        if shown.is_empty() {
            continue;
        }
        match counter.counts(&shown).await {
            Ok(counts) => {
                let posts = watched.lock().unwrap_or_else(PoisonError::into_inner);
                for (post, count) in counts {
                    if let Some(sender) = posts.get(&post) {
                        sender.send_if_modified(|shown| {
                            let moved = *shown != count;
                            *shown = count;
                            moved
                        });
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "live counts not refreshed; trying again"),
        }
    }
}
