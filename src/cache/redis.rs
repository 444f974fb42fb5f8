//! The Redis click cache: each operation is one atomic Lua script (several, for several shards, pipelined
//! into one round trip). Short time-outs and a circuit breaker keep a dead Redis from slowing requests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_redis::redis::{self, aio::MultiplexedConnection, ErrorKind, Value};

use super::{shard_of, CacheBackend, CacheError, DrainedBatch, PendingClicks, SHARDS};

const RECORD: &str = include_str!("lua/record.lua");
const READ: &str = include_str!("lua/read.lua");
const DRAIN: &str = include_str!("lua/drain.lua");
const ACK: &str = include_str!("lua/ack.lua");

/// The field of a pending or in-flight hash that holds its batch id.
const BATCH_FIELD: &str = "__batch";

/// How to reach Redis.
#[derive(Debug, Clone)]
pub struct RedisSettings {
    /// `REDIS_URL`.
    pub url: String,
    /// `REDIS_KEY_PREFIX`: every key starts with it, so deployments and tests can share one Redis.
    pub key_prefix: String,
    /// `REDIS_TIMEOUT_MS`: the longest a request waits for Redis before counting in the database.
    pub timeout: Duration,
}

struct Scripts {
    record: String,
    read: String,
    drain: String,
    ack: String,
}

/// Click deltas in Redis.
pub struct RedisClickCache {
    pool: deadpool_redis::Pool,
    /// One multiplexed connection, shared by every request: taking one from the pool per call would cost a
    /// PING round trip each time. Replaced from the pool when it breaks.
    connection: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    timeout: Duration,
    scripts: Scripts,
    breaker: CircuitBreaker,
    round_trips: AtomicU64,
}

impl std::fmt::Debug for RedisClickCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClickCache")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisClickCache {
    /// Builds the cache. Does not need Redis to be up: until it answers, the breaker sends clicks to the
    /// database.
    pub fn new(settings: &RedisSettings) -> Result<Self, CacheError> {
        if settings.key_prefix.contains(['{', '}']) {
            return Err(CacheError::Unavailable(String::from(
                "REDIS_KEY_PREFIX must not contain '{' or '}' (they would change the keys' hash slot)",
            )));
        }
        let mut config = deadpool_redis::Config::from_url(settings.url.clone());
        let mut pool_config = deadpool_redis::PoolConfig::new(4);
        pool_config.timeouts.wait = Some(settings.timeout);
        pool_config.timeouts.create = Some(settings.timeout);
        pool_config.timeouts.recycle = Some(settings.timeout);
        config.pool = Some(pool_config);
        let pool = config
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|error| CacheError::Unavailable(format!("REDIS_URL: {error}")))?;
        let sha = |source: &str| redis::Script::new(source).get_hash().to_owned();
        Ok(RedisClickCache {
            pool,
            connection: Mutex::new(None),
            prefix: settings.key_prefix.clone(),
            timeout: settings.timeout,
            scripts: Scripts {
                record: sha(RECORD),
                read: sha(READ),
                drain: sha(DRAIN),
                ack: sha(ACK),
            },
            breaker: CircuitBreaker::default(),
            round_trips: AtomicU64::new(0),
        })
    }

    fn pending_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:pending", self.prefix)
    }

    fn in_flight_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:in-flight", self.prefix)
    }

    fn evalsha(&self, sha: &str, keys: &[String], args: &[String]) -> redis::Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(sha).arg(keys.len()).arg(keys).arg(args);
        cmd
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
    async fn run(
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
            // A server error reply means Redis refused the call (out of memory, read-only replica...):
            // nothing was applied.
            Ok(Err(error)) if matches!(error.kind(), ErrorKind::Server(_)) => {
                Err(Attempt::Error(CacheError::Unavailable(error.to_string())))
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
        for source in [RECORD, READ, DRAIN, ACK] {
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

#[async_trait::async_trait]
impl CacheBackend for RedisClickCache {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn record_click(&self, post_id: i64) -> Result<PendingClicks, CacheError> {
        let shard = shard_of(post_id);
        let keys = [self.pending_key(shard), self.in_flight_key(shard)];
        let args = [post_id.to_string(), uuid::Uuid::new_v4().to_string()];
        let mut pipeline = redis::pipe();
        pipeline.add_command(self.evalsha(&self.scripts.record, &keys, &args));
        let reply = self.run(&pipeline, false).await?;
        let parts = array(first(&reply)?)?;
        let [batch, delta, in_flight_batch, in_flight_delta] = parts else {
            return Err(protocol("record", first(&reply)?));
        };
        let mut deltas = vec![(
            text(batch).ok_or_else(|| protocol("record", batch))?,
            int(delta).unwrap_or(0),
        )];
        if let (Some(batch), Some(delta)) = (text(in_flight_batch), int(in_flight_delta)) {
            deltas.push((batch, delta));
        }
        Ok(PendingClicks { deltas })
    }

    async fn pending_clicks(
        &self,
        post_ids: &[i64],
    ) -> Result<HashMap<i64, PendingClicks>, CacheError> {
        let mut by_shard: HashMap<u16, Vec<i64>> = HashMap::new();
        for &post_id in post_ids {
            let ids = by_shard.entry(shard_of(post_id)).or_default();
            if !ids.contains(&post_id) {
                ids.push(post_id);
            }
        }
        if by_shard.is_empty() {
            return Ok(HashMap::new());
        }
        let shards: Vec<(u16, Vec<i64>)> = by_shard.into_iter().collect();
        let mut pipeline = redis::pipe();
        for (shard, ids) in &shards {
            let keys = [self.pending_key(*shard), self.in_flight_key(*shard)];
            let args: Vec<String> = ids.iter().map(ToString::to_string).collect();
            pipeline.add_command(self.evalsha(&self.scripts.read, &keys, &args));
        }
        let replies = self.run(&pipeline, true).await?;
        let mut found = HashMap::new();
        for ((_, ids), reply) in shards.iter().zip(&replies) {
            let [pending_batch, in_flight_batch, pending, in_flight] = array(reply)? else {
                return Err(protocol("read", reply));
            };
            let columns = [
                (text(pending_batch), pending),
                (text(in_flight_batch), in_flight),
            ];
            for (index, post_id) in ids.iter().enumerate() {
                let mut clicks = PendingClicks::default();
                for (batch, deltas) in &columns {
                    let delta = match deltas {
                        Value::Array(values) => values.get(index).and_then(int),
                        _ => None,
                    };
                    if let (Some(batch), Some(delta)) = (batch, delta) {
                        clicks.deltas.push((batch.clone(), delta));
                    }
                }
                if !clicks.deltas.is_empty() {
                    found.insert(*post_id, clicks);
                }
            }
        }
        Ok(found)
    }

    async fn drain(&self) -> Result<Vec<DrainedBatch>, CacheError> {
        let mut pipeline = redis::pipe();
        for shard in 0..SHARDS {
            let keys = [self.pending_key(shard), self.in_flight_key(shard)];
            pipeline.add_command(self.evalsha(&self.scripts.drain, &keys, &[]));
        }
        let replies = self.run(&pipeline, true).await?;
        let mut batches = Vec::new();
        for (shard, reply) in (0..SHARDS).zip(&replies) {
            if let Value::Nil = reply {
                continue;
            }
            let [resumed, fields] = array(reply)? else {
                return Err(protocol("drain", reply));
            };
            let resumed = int(resumed) == Some(1);
            let fields = array(fields)?;
            let mut batch_id = None;
            let mut deltas = Vec::new();
            for pair in fields.chunks(2) {
                let [field, value] = pair else {
                    return Err(protocol("drain", reply));
                };
                let field = text(field).ok_or_else(|| protocol("drain", reply))?;
                if field == BATCH_FIELD {
                    batch_id = text(value);
                } else {
                    let post_id = field.parse::<i64>().map_err(|_| protocol("drain", reply))?;
                    let delta = int(value).ok_or_else(|| protocol("drain", reply))?;
                    if delta > 0 {
                        deltas.push((post_id, delta));
                    }
                }
            }
            let batch_id =
                batch_id.ok_or_else(|| protocol("drain (a hash without its batch id)", reply))?;
            deltas.sort_unstable();
            batches.push(DrainedBatch {
                shard,
                batch_id,
                deltas,
                resumed,
            });
        }
        Ok(batches)
    }

    async fn acknowledge(&self, batches: &[DrainedBatch]) -> Result<usize, CacheError> {
        if batches.is_empty() {
            return Ok(0);
        }
        let mut pipeline = redis::pipe();
        for batch in batches {
            let keys = [self.in_flight_key(batch.shard)];
            pipeline.add_command(self.evalsha(
                &self.scripts.ack,
                &keys,
                std::slice::from_ref(&batch.batch_id),
            ));
        }
        let replies = self.run(&pipeline, true).await?;
        Ok(replies.iter().filter(|reply| int(reply) == Some(1)).count())
    }

    fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    fn is_available(&self) -> bool {
        self.breaker.is_closed()
    }
}

fn first(reply: &[Value]) -> Result<&Value, CacheError> {
    reply
        .first()
        .ok_or_else(|| CacheError::Protocol(String::from("an empty reply")))
}

fn array(value: &Value) -> Result<&[Value], CacheError> {
    match value {
        Value::Array(values) => Ok(values),
        other => Err(protocol("a script", other)),
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(number) => Some(*number),
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?.parse().ok(),
        _ => None,
    }
}

fn protocol(what: &str, value: &Value) -> CacheError {
    CacheError::Protocol(format!("{what} returned {value:?}"))
}

/// Closed while Redis answers. After a failure it opens for a back-off (250 ms, doubling to 10 s) during
/// which calls fail at once without waiting on a dead server; then one call tries again.
#[derive(Debug, Default)]
struct CircuitBreaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

impl CircuitBreaker {
    fn allows(&self) -> bool {
        match self.open_until.lock() {
            Ok(open_until) => open_until.is_none_or(|until| Instant::now() >= until),
            Err(_) => true,
        }
    }

    fn is_closed(&self) -> bool {
        self.failures.load(Ordering::Relaxed) == 0
    }

    fn failure(&self) {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        let backoff = Duration::from_millis(250)
            .saturating_mul(1 << failures.saturating_sub(1).min(6))
            .min(Duration::from_secs(10));
        if let Ok(mut open_until) = self.open_until.lock() {
            *open_until = Some(Instant::now() + backoff);
        }
        if failures == 1 {
            tracing::warn!(
                "redis is not answering: clicks go straight to the database until it is back"
            );
        }
    }

    fn success(&self) {
        if self.failures.swap(0, Ordering::Relaxed) > 0 {
            tracing::info!("redis answers again: clicks go through the cache");
        }
        if let Ok(mut open_until) = self.open_until.lock() {
            *open_until = None;
        }
    }
}
