//! What one call to Redis is, and how sending it can fail: shared by the client and its two transports (a
//! single server, a cluster), so neither imports the other's module.

use deadpool_redis::redis::{self, RedisError};

/// One script call, with the shard whose hash slot all its keys are in (a cluster sends it to the node that
/// owns that slot).
pub(super) struct Call {
    pub(super) shard: u16,
    pub(super) command: redis::Cmd,
}

/// Why a transport could not give replies.
pub(super) enum SendError {
    /// No connection could be had: nothing was sent.
    NoConnection(String),
    /// Redis, or the connection to it, failed the call.
    Redis(RedisError),
}

impl From<RedisError> for SendError {
    fn from(error: RedisError) -> Self {
        SendError::Redis(error)
    }
}
