//! The connection to Redis: one multiplexed connection shared by every call (taken from the pool, replaced
//! when it breaks), short time-outs, the circuit breaker, and scripts reloaded when Redis lost them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use deadpool_redis::redis::{self, aio::MultiplexedConnection, ErrorKind, Value};

use super::breaker::CircuitBreaker;
use crate::cache::CacheError;

/// Sends pipelines to one Redis.
pub(super) struct RedisClient {
    pool: deadpool_redis::Pool,
    /// One multiplexed connection, shared by every request: taking one from the pool per call would cost a
    /// PING round trip each time. Replaced from the pool when it breaks.
    connection: Mutex<Option<MultiplexedConnection>>,
    timeout: Duration,
    /// Loaded again when Redis answers NOSCRIPT (it restarted and lost its script cache).
    scripts: &'static [&'static str],
    breaker: CircuitBreaker,
    round_trips: AtomicU64,
}

impl RedisClient {
    /// A client for `url`; connects on first use, so Redis need not be up yet.
    pub(super) fn new(
        url: &str,
        timeout: Duration,
        scripts: &'static [&'static str],
    ) -> Result<Self, CacheError> {
        let mut config = deadpool_redis::Config::from_url(url);
        let mut pool_config = deadpool_redis::PoolConfig::new(4);
        pool_config.timeouts.wait = Some(timeout);
        pool_config.timeouts.create = Some(timeout);
        pool_config.timeouts.recycle = Some(timeout);
        config.pool = Some(pool_config);
        let pool = config
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|error| CacheError::Unavailable(format!("REDIS_URL: {error}")))?;
        Ok(RedisClient {
            pool,
            connection: Mutex::new(None),
            timeout,
            scripts,
            breaker: CircuitBreaker::default(),
            round_trips: AtomicU64::new(0),
        })
    }

    pub(super) fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    pub(super) fn is_available(&self) -> bool {
        self.breaker.is_closed()
    }

    async fn connection(&self) -> Result<MultiplexedConnection, CacheError> {
        if let Some(connection) = self.cached_connection() {
            return Ok(connection);
        }
        let pooled = self
            .pool
            .get()
            .await
            .map_err(|error| CacheError::Unavailable(error.to_string()))?;
        let connection = deadpool_redis::Connection::take(pooled);
        if let Ok(mut slot) = self.connection.lock() {
            *slot = Some(connection.clone());
        }
        Ok(connection)
    }

    fn cached_connection(&self) -> Option<MultiplexedConnection> {
        self.connection.lock().ok().and_then(|slot| slot.clone())
    }

    fn forget_connection(&self) {
        if let Ok(mut slot) = self.connection.lock() {
            *slot = None;
        }
    }

    /// Sends `pipeline` in one round trip. A NOSCRIPT reply (Redis restarted and lost its script cache)
    /// means nothing ran: the scripts are loaded and the pipeline is sent once more. A pipeline that is safe
    /// to repeat (`idempotent`) is also sent once more on a fresh connection after a connection failure:
    /// a multiplexed connection dies with the runtime that created it (a server worker, at shutdown).
    pub(super) async fn run(
        &self,
        pipeline: &redis::Pipeline,
        idempotent: bool,
    ) -> Result<Vec<Value>, CacheError> {
        if !self.breaker.allows() {
            return Err(CacheError::Unavailable(String::from(
                "circuit open after recent failures",
            )));
        }
        let mut result = self.attempt(pipeline).await;
        if idempotent && matches!(result, Err(CacheError::Failed(_))) {
            result = self.attempt(pipeline).await;
        }
        match &result {
            Ok(_) => self.breaker.success(),
            Err(CacheError::Protocol(_)) => {}
            Err(CacheError::Refused(_)) => self.breaker.refusal(),
            Err(_) => self.breaker.failure(),
        }
        result
    }

    async fn attempt(&self, pipeline: &redis::Pipeline) -> Result<Vec<Value>, CacheError> {
        match self.try_run(pipeline).await {
            Ok(values) => Ok(values),
            Err(Attempt::NoScript) => {
                self.load_scripts().await?;
                match self.try_run(pipeline).await {
                    Ok(values) => Ok(values),
                    Err(Attempt::NoScript) => Err(CacheError::Unavailable(String::from(
                        "scripts missing right after loading them",
                    ))),
                    Err(Attempt::Error(error)) => Err(error),
                }
            }
            Err(Attempt::Error(error)) => Err(error),
        }
    }

    async fn try_run(&self, pipeline: &redis::Pipeline) -> Result<Vec<Value>, Attempt> {
        let mut connection = self.connection().await.map_err(Attempt::Error)?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let reply = tokio::time::timeout(
            self.timeout,
            pipeline.query_async::<Vec<Value>>(&mut connection),
        )
        .await;
        match reply {
            Ok(Ok(values)) => Ok(values),
            Ok(Err(error))
                if error.kind() == ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
            {
                Err(Attempt::NoScript)
            }
            // A server that is no writable primary (any more, or yet): a failover is under way. Nothing was
            // applied; the next call takes a new connection, which finds the primary once the address
            // leads to one again.
            Ok(Err(error)) if is_not_a_writable_primary(error.kind()) => {
                self.forget_connection();
                Err(Attempt::Error(CacheError::Refused(error.to_string())))
            }
            // Any other error reply means Redis refused the call (out of memory...): nothing was applied.
            Ok(Err(error)) if matches!(error.kind(), ErrorKind::Server(_)) => {
                Err(Attempt::Error(CacheError::Refused(error.to_string())))
            }
            Ok(Err(error)) => {
                self.forget_connection();
                Err(Attempt::Error(CacheError::Failed(error.to_string())))
            }
            Err(_elapsed) => {
                self.forget_connection();
                Err(Attempt::Error(CacheError::Failed(format!(
                    "no reply within {} ms",
                    self.timeout.as_millis()
                ))))
            }
        }
    }

    async fn load_scripts(&self) -> Result<(), CacheError> {
        let mut pipeline = redis::pipe();
        for source in self.scripts {
            pipeline.cmd("SCRIPT").arg("LOAD").arg(source);
        }
        let mut connection = self.connection().await?;
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        tokio::time::timeout(
            self.timeout,
            pipeline.query_async::<Vec<Value>>(&mut connection),
        )
        .await
        .map_err(|_| CacheError::Failed(String::from("SCRIPT LOAD timed out")))?
        .map_err(|error| {
            self.forget_connection();
            CacheError::Failed(error.to_string())
        })?;
        Ok(())
    }
}

enum Attempt {
    NoScript,
    Error(CacheError),
}

/// `READONLY` (a demoted primary), `MASTERDOWN`, `LOADING` (a restarted server reading its data), and
/// the cluster's `TRYAGAIN` / `CLUSTERDOWN`.
fn is_not_a_writable_primary(kind: ErrorKind) -> bool {
    use redis::ServerErrorKind;
    matches!(
        kind,
        ErrorKind::Server(
            ServerErrorKind::ReadOnly
                | ServerErrorKind::MasterDown
                | ServerErrorKind::BusyLoading
                | ServerErrorKind::TryAgain
                | ServerErrorKind::ClusterDown
        )
    )
}
