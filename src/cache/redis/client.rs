//! Calls to Redis, a single server or a cluster: short time-outs, the circuit breaker, scripts loaded again
//! when Redis lost them, and every error sorted by what it means for a click (ran, did not run, may have run).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool_redis::redis::{self, ErrorKind, Value};

use super::breaker::CircuitBreaker;
pub(super) use super::call::{Call, SendError};
use super::cluster::Cluster;
use super::single::SingleServer;
use crate::cache::CacheError;

/// Where the click cache lives.
#[derive(Clone, PartialEq, Eq)]
pub enum RedisEndpoint {
    /// `REDIS_URL`: one server (a primary, or an address that leads to one).
    Single(String),
    /// `REDIS_CLUSTER_URLS`: seed nodes of a Redis Cluster; the rest of the cluster is learnt from them.
    Cluster(Vec<String>),
}

impl std::fmt::Debug for RedisEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RedisEndpoint::Single(url) => f
                .debug_tuple("Single")
                .field(&crate::redact::redact(url))
                .finish(),
            RedisEndpoint::Cluster(urls) => f
                .debug_tuple("Cluster")
                .field(
                    &urls
                        .iter()
                        .map(|url| crate::redact::redact(url))
                        .collect::<Vec<_>>(),
                )
                .finish(),
        }
    }
}

/// How calls reach Redis.
enum Transport {
    Single(SingleServer),
    /// Boxed: the cluster client is large, and there is one per process.
    Cluster(Box<Cluster>),
}

impl Transport {
    async fn send(&self, calls: &[Call], round_trips: &AtomicU64) -> Result<Vec<Value>, SendError> {
        match self {
            Transport::Single(server) => server.send(calls, round_trips).await,
            Transport::Cluster(cluster) => cluster.send(calls, round_trips).await,
        }
    }

    async fn load_scripts(
        &self,
        sources: &[&str],
        round_trips: &AtomicU64,
    ) -> Result<(), SendError> {
        match self {
            Transport::Single(server) => server.load_scripts(sources, round_trips).await,
            Transport::Cluster(cluster) => cluster.load_scripts(sources, round_trips).await,
        }
    }

    /// Makes the connection a call would use, if there is none yet.
    async fn prepare(&self, round_trips: &AtomicU64) -> Result<(), SendError> {
        match self {
            Transport::Single(server) => server.prepare(round_trips).await,
            // The cluster connection is made by the first call.
            Transport::Cluster(_) => Ok(()),
        }
    }

    /// Drops the connection: the next call makes a new one (which finds the primary after a failover).
    fn forget_connection(&self) {
        match self {
            Transport::Single(server) => server.forget_connection(),
            Transport::Cluster(cluster) => cluster.forget_connection(),
        }
    }
}

/// Sends script calls to Redis.
pub(super) struct RedisClient {
    transport: Transport,
    timeout: Duration,
    /// Loaded again when Redis answers NOSCRIPT (it restarted, or a replica was promoted, and has no
    /// script cache).
    scripts: &'static [&'static str],
    breaker: CircuitBreaker,
    round_trips: AtomicU64,
}

impl RedisClient {
    /// A client for `endpoint`; connects on first use, so Redis need not be up yet.
    pub(super) fn new(
        endpoint: &RedisEndpoint,
        timeout: Duration,
        scripts: &'static [&'static str],
    ) -> Result<Self, CacheError> {
        let transport = match endpoint {
            RedisEndpoint::Single(url) => Transport::Single(SingleServer::new(url, timeout)?),
            RedisEndpoint::Cluster(urls) => {
                Transport::Cluster(Box::new(Cluster::new(urls, timeout)?))
            }
        };
        Ok(RedisClient {
            transport,
            timeout,
            scripts,
            breaker: CircuitBreaker::default(),
            round_trips: AtomicU64::new(0),
        })
    }

    /// Network round trips so far: one per pipeline sent to one server.
    pub(super) fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    pub(super) fn is_available(&self) -> bool {
        self.breaker.is_closed()
    }

    /// Connects now (on a single server, reading its run id), within the time-out.
    pub(super) async fn prepare(&self) -> Result<(), CacheError> {
        match tokio::time::timeout(self.timeout, self.transport.prepare(&self.round_trips)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(SendError::NoConnection(error))) => Err(CacheError::Unavailable(error)),
            Ok(Err(SendError::Redis(error))) => {
                self.transport.forget_connection();
                Err(CacheError::Failed(error.to_string()))
            }
            Err(_elapsed) => Err(CacheError::Failed(String::from(
                "no connection within the time-out",
            ))),
        }
    }

    /// Sends `calls` (one pipeline per server they go to) and returns one reply per call, in order. A NOSCRIPT
    /// reply means nothing ran: the scripts are loaded and the calls sent once more. Calls that are safe to
    /// repeat (`idempotent`) are also sent once more on a fresh connection after a connection failure: a
    /// multiplexed connection dies with the runtime that created it (a server worker, at shutdown).
    pub(super) async fn run(
        &self,
        calls: &[Call],
        idempotent: bool,
    ) -> Result<Vec<Value>, CacheError> {
        if !self.breaker.allows() {
            return Err(CacheError::Unavailable(String::from(
                "circuit open after recent failures",
            )));
        }
        let mut result = self.attempt(calls).await;
        if idempotent && matches!(result, Err(CacheError::Failed(_))) {
            result = self.attempt(calls).await;
        }
        match &result {
            Ok(_) => self.breaker.success(),
            Err(CacheError::Protocol(_)) => {}
            Err(CacheError::Refused(_)) => self.breaker.refusal(),
            Err(_) => self.breaker.failure(),
        }
        result
    }

    async fn attempt(&self, calls: &[Call]) -> Result<Vec<Value>, CacheError> {
        match self.try_send(calls).await {
            Err(Attempt::NoScript) => {
                // A server without our scripts is a new process (a restart, a promoted replica): its run id
                // is read again with a new connection, in case the old one reaches it through a proxy.
                self.transport.forget_connection();
                self.load_scripts().await?;
                match self.try_send(calls).await {
                    Ok(values) => Ok(values),
                    Err(Attempt::NoScript) => Err(CacheError::Unavailable(String::from(
                        "scripts missing right after loading them",
                    ))),
                    Err(Attempt::Error(error)) => Err(error),
                }
            }
            Ok(values) => Ok(values),
            Err(Attempt::Error(error)) => Err(error),
        }
    }

    async fn try_send(&self, calls: &[Call]) -> Result<Vec<Value>, Attempt> {
        let reply =
            tokio::time::timeout(self.timeout, self.transport.send(calls, &self.round_trips)).await;
        let error = match reply {
            Ok(Ok(values)) if values.len() == calls.len() => return Ok(values),
            Ok(Ok(values)) => {
                return Err(Attempt::Error(CacheError::Protocol(format!(
                    "{} replies to {} calls",
                    values.len(),
                    calls.len()
                ))))
            }
            Ok(Err(SendError::NoConnection(error))) => {
                return Err(Attempt::Error(CacheError::Unavailable(error)))
            }
            Ok(Err(SendError::Redis(error))) => error,
            Err(_elapsed) => {
                self.transport.forget_connection();
                return Err(Attempt::Error(CacheError::Failed(format!(
                    "no reply within {} ms",
                    self.timeout.as_millis()
                ))));
            }
        };
        match error.kind() {
            ErrorKind::Server(redis::ServerErrorKind::NoScript) => Err(Attempt::NoScript),
            // A server that is no writable primary (any more, or yet): a failover is under way. Nothing was
            // applied; the next call takes a new connection, which finds the primary once the address
            // leads to one again.
            kind if is_not_a_writable_primary(kind) => {
                self.transport.forget_connection();
                Err(Attempt::Error(CacheError::Refused(error.to_string())))
            }
            // Any other error reply means Redis refused the call (out of memory...): nothing was applied.
            ErrorKind::Server(_) => Err(Attempt::Error(CacheError::Refused(error.to_string()))),
            _ => {
                self.transport.forget_connection();
                Err(Attempt::Error(CacheError::Failed(error.to_string())))
            }
        }
    }

    async fn load_scripts(&self) -> Result<(), CacheError> {
        let loaded = tokio::time::timeout(
            self.timeout,
            self.transport.load_scripts(self.scripts, &self.round_trips),
        )
        .await
        .map_err(|_| CacheError::Failed(String::from("SCRIPT LOAD timed out")))?;
        match loaded {
            Ok(()) => Ok(()),
            Err(SendError::NoConnection(error)) => Err(CacheError::Unavailable(error)),
            Err(SendError::Redis(error)) => {
                self.transport.forget_connection();
                Err(CacheError::Failed(error.to_string()))
            }
        }
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
