//! What one call to Redis is, and how sending it can fail: shared by the client and its two transports (a
//! single server, a cluster), so neither imports the other's module.

use deadpool_redis::redis::{self, RedisError};

/// One script call, with the shard whose hash slot all its keys are in (a cluster sends it to the node that
/// owns that slot).
pub(super) struct Call {
    pub(super) shard: u16,
    /// `EVALSHA`, the script, its keys; then, for a call that names its server (below), that server's run id.
    command: redis::Cmd,
    /// The arguments after the run id, for a call whose first argument is the run id of the Redis process
    /// that runs it; `None` for a call complete as it is.
    after_run_id: Option<Vec<String>>,
}

impl Call {
    /// `EVALSHA` of the script `sha` on `keys` with `args`.
    pub(super) fn script<K: redis::ToRedisArgs>(
        shard: u16,
        sha: &str,
        keys: &[K],
        args: &[String],
    ) -> Call {
        let mut command = evalsha(sha, keys);
        command.arg(args);
        Call {
            shard,
            command,
            after_run_id: None,
        }
    }

    /// `EVALSHA` of a script whose `ARGV[1]` is the run id of the Redis process it runs on, filled in by the
    /// transport from what that connection's server said when it was made (`''` where the transport cannot
    /// know: the script then asks `INFO server` itself); `args` follow it.
    pub(super) fn naming_server<K: redis::ToRedisArgs>(
        shard: u16,
        sha: &str,
        keys: &[K],
        args: Vec<String>,
    ) -> Call {
        Call {
            shard,
            command: evalsha(sha, keys),
            after_run_id: Some(args),
        }
    }

    /// A call that is a command as it stands.
    pub(super) fn command(shard: u16, command: redis::Cmd) -> Call {
        Call {
            shard,
            command,
            after_run_id: None,
        }
    }

    /// The command to send over a connection to the Redis process whose run id is `run_id` (`None`: not
    /// known).
    pub(super) fn to_command(&self, run_id: Option<&str>) -> redis::Cmd {
        let Some(args) = &self.after_run_id else {
            return self.command.clone();
        };
        let mut command = self.command.clone();
        command.arg(run_id.unwrap_or_default()).arg(args);
        command
    }
}

fn evalsha<K: redis::ToRedisArgs>(sha: &str, keys: &[K]) -> redis::Cmd {
    let mut command = redis::cmd("EVALSHA");
    command.arg(sha).arg(keys.len()).arg(keys);
    command
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
