//! The steps of a stop (see `Application::run_until_stopped`): the signals that start it, and a click sync
//! bounded by the stop's deadline that counts what it leaves behind.

use actix::Addr;

use crate::jobs::ClickSyncActor;
use crate::service::clicks::ClickCounter;
use crate::telemetry::error_chain;

/// One click sync pass (`message`), given up at `deadline`; when it fails, the clicks left buffered are
/// counted in the log.
pub(super) async fn sync_before<M>(
    sync: &Addr<ClickSyncActor>,
    clicks: &ClickCounter,
    deadline: tokio::time::Instant,
    message: M,
    which: &'static str,
) where
    M: actix::Message<Result = Result<crate::jobs::SyncReport, crate::jobs::SyncError>>
        + Send
        + 'static,
    ClickSyncActor: actix::Handler<M>,
{
    match tokio::time::timeout_at(deadline, sync.send(message)).await {
        Ok(Ok(Ok(report))) => {
            tracing::info!(
                clicks = report.clicks,
                pass = which,
                "shutdown click sync done"
            );
            return;
        }
        Ok(Ok(Err(error))) => tracing::error!(
            error = %error_chain(&error),
            pass = which,
            "shutdown click sync failed"
        ),
        Ok(Err(error)) => tracing::error!(%error, "the click sync actor was gone at shutdown"),
        Err(_) => tracing::error!(
            pass = which,
            "shutdown click sync did not finish by SHUTDOWN_TIMEOUT_MS"
        ),
    }
    let cache = clicks.cache().clone();
    let left = tokio::time::timeout(LOG_RESERVE / 2, cache.pending_hours(i64::MIN, None)).await;
    if let Ok(Ok(pending)) = left {
        let clicks: i64 = pending.iter().map(|hour| hour.clicks).sum();
        tracing::error!(
            clicks,
            cache = cache.name(),
            "clicks left unsynced at shutdown (kept in Redis for the next start; lost with the \
                 in-process cache)"
        );
    }
}

/// The part of `SHUTDOWN_TIMEOUT_MS` kept for counting, in the log, what a stop could not finish.
pub(super) const LOG_RESERVE: std::time::Duration = std::time::Duration::from_millis(250);

/// Resolves at the first SIGTERM, SIGINT or SIGQUIT (never, where they cannot be listened for).
pub(super) async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let kinds = [
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::quit(),
    ];
    let mut streams: Vec<_> = kinds
        .into_iter()
        .filter_map(|kind| signal(kind).ok())
        .collect();
    if streams.is_empty() {
        std::future::pending::<()>().await;
    }
    let waits = streams.iter_mut().map(|stream| Box::pin(stream.recv()));
    futures_util::future::select_all(waits).await;
}
