//! One Redis server: one multiplexed connection shared by every call (taken from the pool, replaced when
//! it breaks); every call list is one pipeline. The run id of the server process behind the connection is
//! read once, when it is made, and given to the calls that name their server: a connection reaches one
//! process for as long as it lives, so no call pays for `INFO server`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_redis::redis::{self, aio::MultiplexedConnection, Value};

use super::call::{Call, SendError};
use crate::cache::CacheError;

pub(super) struct SingleServer {
    pool: deadpool_redis::Pool,
    /// One multiplexed connection, shared by every request: taking one from the pool per call would cost a
    /// PING round trip each time. Replaced from the pool when it breaks.
    connection: Mutex<Option<Connected>>,
}

/// The shared connection and the run id of the Redis process it reaches.
#[derive(Clone)]
struct Connected {
    connection: MultiplexedConnection,
    run_id: Arc<str>,
}

impl SingleServer {
    pub(super) fn new(url: &str, timeout: Duration) -> Result<Self, CacheError> {
        let mut config = deadpool_redis::Config::from_url(url);
        let mut pool_config = deadpool_redis::PoolConfig::new(4);
        pool_config.timeouts.wait = Some(timeout);
        pool_config.timeouts.create = Some(timeout);
        pool_config.timeouts.recycle = Some(timeout);
        config.pool = Some(pool_config);
        let pool = config
            .create_pool(Some(deadpool_redis::Runtime::Tokio1))
            .map_err(|error| CacheError::Unavailable(format!("REDIS_URL: {error}")))?;
        Ok(SingleServer {
            pool,
            connection: Mutex::new(None),
        })
    }

    pub(super) async fn send(
        &self,
        calls: &[Call],
        round_trips: &AtomicU64,
    ) -> Result<Vec<Value>, SendError> {
        let Connected {
            mut connection,
            run_id,
        } = self.connection(round_trips).await?;
        let mut pipeline = redis::pipe();
        for call in calls {
            pipeline.add_command(call.to_command(Some(&run_id)));
        }
        round_trips.fetch_add(1, Ordering::Relaxed);
        Ok(pipeline.query_async(&mut connection).await?)
    }

    pub(super) async fn load_scripts(
        &self,
        sources: &[&str],
        round_trips: &AtomicU64,
    ) -> Result<(), SendError> {
        let mut pipeline = redis::pipe();
        for source in sources {
            pipeline.cmd("SCRIPT").arg("LOAD").arg(*source);
        }
        let Connected { mut connection, .. } = self.connection(round_trips).await?;
        round_trips.fetch_add(1, Ordering::Relaxed);
        pipeline.query_async::<Vec<Value>>(&mut connection).await?;
        Ok(())
    }

    /// Makes the shared connection (and reads its server's run id) if there is none.
    pub(super) async fn prepare(&self, round_trips: &AtomicU64) -> Result<(), SendError> {
        self.connection(round_trips).await.map(drop)
    }

    /// The shared connection; a new one is made (and its server's run id read) when there is none.
    async fn connection(&self, round_trips: &AtomicU64) -> Result<Connected, SendError> {
        if let Some(connected) = self.connection.lock().ok().and_then(|slot| slot.clone()) {
            return Ok(connected);
        }
        let pooled = self
            .pool
            .get()
            .await
            .map_err(|error| SendError::NoConnection(error.to_string()))?;
        let mut connection = deadpool_redis::Connection::take(pooled);
        round_trips.fetch_add(1, Ordering::Relaxed);
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut connection)
            .await?;
        let run_id = run_id(&info)
            .ok_or_else(|| SendError::NoConnection(String::from("INFO server names no run_id")))?;
        let connected = Connected {
            connection,
            run_id: Arc::from(run_id),
        };
        if let Ok(mut slot) = self.connection.lock() {
            *slot = Some(connected.clone());
        }
        Ok(connected)
    }

    pub(super) fn forget_connection(&self) {
        if let Ok(mut slot) = self.connection.lock() {
            *slot = None;
        }
    }
}

/// The `run_id` field of an `INFO server` reply.
fn run_id(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.bytes().all(|byte| byte.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::run_id;

    #[test]
    fn the_run_id_is_read_from_info_server() {
        let info = "# Server\r\nredis_version:7.0.15\r\nrun_id:3f1c0a9e2b\r\ntcp_port:6379\r\n";
        assert_eq!(run_id(info), Some("3f1c0a9e2b"));
        assert_eq!(run_id("# Server\r\nredis_version:7.0.15\r\n"), None);
        assert_eq!(run_id("run_id:\r\n"), None);
    }
}
