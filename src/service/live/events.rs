//! `GET /events`: the public content events of the outbox (the webhook events readers may hear of), pushed
//! as they commit, and resumed after a client's `Last-Event-ID` on any instance.
//!
//! Every stored event has a place in one sequence (migration 22), the stream's ids. One task per instance
//! tails the outbox while streams are open (no statement while none is): when the content version it
//! watches moves (every public event comes with a content change), and at least every few seconds, it reads
//! the public events after the last place it saw (one indexed statement) and hands them to the instance's
//! streams. A stream first reads, from the database, the events after its own starting place (a resuming
//! client's `Last-Event-ID`, else the newest place when it opened) until it has read past the newest place
//! it saw on opening, then goes on with what the tail hands over, skipping places it has sent.
//!
//! Nothing falls between the two: a tail that was idle starts after the smallest "newest place on opening"
//! of the streams that subscribed meanwhile (registered, and subscribed, under the lock the tail checks for
//! subscribers under), and a running tail has read every place it is past from the database, so a stream
//! subscribed to it reads those itself. A stream that falls behind the tail's buffer reads from the
//! database again.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use futures_util::Stream;
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, MissedTickBehavior};

use super::{StreamPlace, Streams};
use crate::db::webhooks::StreamedEvent;
use crate::db::{self, run_query, DbPool};
use crate::error::ApiError;
use crate::service::content::ContentCache;

/// How often the tail looks at the content version.
const TICK: Duration = Duration::from_millis(250);

/// The longest the tail goes without reading the outbox (a content version not watched, or stale).
const READ_AT_LEAST_EVERY: Duration = Duration::from_secs(5);

/// Events read from the database at once.
const BATCH: i64 = 200;

/// Events the tail keeps for streams that have not taken them yet; a stream further behind reads from
/// the database again.
const FEED_CAPACITY: usize = 1024;

/// What a stream sends.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// An event of the outbox.
    Event(Arc<StreamedEvent>),
    /// The client's `Last-Event-ID` cannot be resumed (older than the events kept, or not a place this
    /// database gave): it should resync (`GET /sync`); the stream goes on from `place`, the newest now.
    Reset { place: i64, reason: &'static str },
}

/// Where the tail is.
#[derive(Debug, Default)]
struct TailState {
    /// The last place handed to the streams; `None` while no stream is open (the tail reads nothing).
    seen: Option<i64>,
    /// While idle: the smallest newest place a stream saw on opening, where the tail starts again.
    start_from: Option<i64>,
}

/// The tail's feed and state, shared with the streams.
struct Tail {
    feed: broadcast::Sender<Arc<StreamedEvent>>,
    state: Mutex<TailState>,
}

/// The event streams of this instance.
pub struct LiveEvents {
    pool: DbPool,
    streams: Arc<Streams>,
    tail: Arc<Tail>,
}

impl LiveEvents {
    /// Starts the tail (it ends when the streams close or this is dropped). Call from within the runtime.
    pub fn start(pool: DbPool, content: Arc<ContentCache>, streams: Arc<Streams>) -> Self {
        let tail = Arc::new(Tail {
            feed: broadcast::Sender::new(FEED_CAPACITY),
            state: Mutex::new(TailState::default()),
        });
        tokio::spawn(follow_outbox(
            pool.clone(),
            content,
            Arc::downgrade(&tail),
            streams.closing(),
        ));
        LiveEvents {
            pool,
            streams,
            tail,
        }
    }

    /// A stream of the public events after `last_event_id` (a place this stream or another instance's gave),
    /// or from now without it. `Busy` when `SSE_MAX_STREAMS` are open.
    pub async fn open(
        &self,
        last_event_id: Option<&str>,
    ) -> Result<impl Stream<Item = Outgoing> + 'static, ApiError> {
        let place = self.streams.open()?;
        let (newest, pruned) = run_query(&self.pool, db::webhooks::stream_places).await?;
        let (start, reset) = match last_event_id.map(|raw| raw.trim().parse::<i64>()) {
            None => (newest, None),
            Some(Ok(seen)) if (pruned..=newest).contains(&seen) => (seen, None),
            Some(Ok(seen)) if seen < pruned => (
                newest,
                Some("events after this Last-Event-ID are no longer kept"),
            ),
            Some(_) => (
                newest,
                Some("this Last-Event-ID is not a place of this API's event stream"),
            ),
        };
        let receiver = {
            let mut state = self
                .tail
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if state.seen.is_none() {
                state.start_from = Some(state.start_from.map_or(newest, |from| from.min(newest)));
            }
            self.tail.feed.subscribe()
        };
        let following = Following {
            pool: self.pool.clone(),
            receiver,
            place,
            sent: start,
            backlog: VecDeque::new(),
            catching_up: true,
            reset: reset.map(|reason| Outgoing::Reset {
                place: start,
                reason,
            }),
        };
        Ok(futures_util::stream::unfold(following, Following::next))
    }
}

/// One stream's state.
struct Following {
    pool: DbPool,
    receiver: broadcast::Receiver<Arc<StreamedEvent>>,
    place: StreamPlace,
    /// The last place sent (or the stream's start).
    sent: i64,
    backlog: VecDeque<Arc<StreamedEvent>>,
    /// Reading from the database until it has nothing newer.
    catching_up: bool,
    /// A reset to send first.
    reset: Option<Outgoing>,
}

impl Following {
    async fn next(mut self) -> Option<(Outgoing, Self)> {
        if let Some(reset) = self.reset.take() {
            return Some((reset, self));
        }
        loop {
            while let Some(event) = self.backlog.pop_front() {
                if event.seq > self.sent {
                    self.sent = event.seq;
                    return Some((Outgoing::Event(event), self));
                }
            }
            if self.catching_up {
                let after = self.sent;
                let read = run_query(&self.pool, move |conn| {
                    db::webhooks::public_after(conn, after, BATCH)
                })
                .await;
                match read {
                    Ok(events) => {
                        self.catching_up = i64::try_from(events.len()).unwrap_or(i64::MAX) >= BATCH;
                        self.backlog.extend(events.into_iter().map(Arc::new));
                    }
                    Err(error) => {
                        // The database is away: the client reconnects (with its Last-Event-ID) later.
                        tracing::warn!(%error, "event stream ended: the outbox could not be read");
                        return None;
                    }
                }
                continue;
            }
            tokio::select! {
                biased;
                () = self.place.closed() => return None,
                received = self.receiver.recv() => match received {
                    Ok(event) => self.backlog.push_back(event),
                    Err(broadcast::error::RecvError::Lagged(_)) => self.catching_up = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// While streams are open: reads the public events after the last place seen whenever the content version
/// moves (or every few seconds) and hands them to the streams.
async fn follow_outbox(
    pool: DbPool,
    content: Arc<ContentCache>,
    tail: Weak<Tail>,
    mut closing: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut version_read = None;
    let mut read_at = Instant::now();
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = closing.wait_for(|closing| *closing) => return,
        }
        let Some(tail) = tail.upgrade() else {
            return;
        };
        let after = {
            let mut state = tail.state.lock().unwrap_or_else(PoisonError::into_inner);
            if tail.feed.receiver_count() == 0 {
                *state = TailState::default();
                None
            } else {
                if state.seen.is_none() {
                    // Starting again: read at once.
                    state.seen = state.start_from.take();
                    version_read = None;
                }
                state.seen
            }
        };
        let Some(after) = after else {
            continue;
        };
        let version = content.version();
        let due = match version {
            Some(_) if version == version_read => read_at.elapsed() >= READ_AT_LEAST_EVERY,
            Some(_) => true,
            // No version watched (yet): read once a second.
            None => read_at.elapsed() >= Duration::from_secs(1),
        };
        if !due {
            continue;
        }
        match run_query(&pool, move |conn| {
            db::webhooks::public_after(conn, after, BATCH)
        })
        .await
        {
            Ok(events) => {
                // Read again at the next tick when the batch was full, whatever the version says.
                version_read = if i64::try_from(events.len()).unwrap_or(i64::MAX) >= BATCH {
                    None
                } else {
                    version
                };
                read_at = Instant::now();
                let mut state = tail.state.lock().unwrap_or_else(PoisonError::into_inner);
                // Unless every stream left meanwhile (the tail is idle again).
                if state.seen == Some(after) {
                    if let Some(last) = events.last() {
                        state.seen = Some(last.seq);
                    }
                    for event in events {
                        // No stream open is no error: the event is in the outbox for those that resume.
                        let _ = tail.feed.send(Arc::new(event));
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the event stream's tail could not read the outbox");
            }
        }
    }
}
