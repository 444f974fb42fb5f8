//! One Redis server: one multiplexed connection shared by every call (taken from the pool, replaced when
//! it breaks); every call list is one pipeline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use deadpool_redis::redis::{self, aio::MultiplexedConnection, Value};

use super::call::{Call, SendError};
use crate::cache::CacheError;

pub(super) struct SingleServer {
    pool: deadpool_redis::Pool,
    /// One multiplexed connection, shared by every request: taking one from the pool per call would cost a
    /// PING round trip each time. Replaced from the pool when it breaks.
    connection: Mutex<Option<MultiplexedConnection>>,
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
        let mut pipeline = redis::pipe();
        for call in calls {
            pipeline.add_command(call.command.clone());
        }
        let mut connection = self.connection().await?;
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
        let mut connection = self.connection().await?;
        round_trips.fetch_add(1, Ordering::Relaxed);
        pipeline.query_async::<Vec<Value>>(&mut connection).await?;
        Ok(())
    }

    async fn connection(&self) -> Result<MultiplexedConnection, SendError> {
        if let Some(connection) = self.connection.lock().ok().and_then(|slot| slot.clone()) {
            return Ok(connection);
        }
        let pooled = self
            .pool
            .get()
            .await
            .map_err(|error| SendError::NoConnection(error.to_string()))?;
        let connection = deadpool_redis::Connection::take(pooled);
        if let Ok(mut slot) = self.connection.lock() {
            *slot = Some(connection.clone());
        }
        Ok(connection)
    }

    pub(super) fn forget_connection(&self) {
        if let Ok(mut slot) = self.connection.lock() {
            *slot = None;
        }
    }
}
