//! A Redis Cluster, through the `redis` crate's cluster connection (which learns the slot map from the seed
//! nodes, keeps a connection per node, and follows `MOVED` / `ASK`). A shard's keys share one hash tag, so
//! each script call lives in one slot. Calls for several shards are grouped by the primary that owns their
//! slots: one pipeline per node, sent to all nodes at once. The connection does not say which node a call
//! reached, so a call that names its server's run id leaves it blank and its script asks `INFO server`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use deadpool_redis::redis::{
    self,
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
    cluster_routing::{
        MultipleNodeRoutingInfo, ResponsePolicy, Route, RoutingInfo, SingleNodeRoutingInfo,
        SlotAddr,
    },
    ErrorKind, RedisError, ServerErrorKind, Value,
};

use super::call::{Call, SendError};
use crate::cache::{CacheError, SHARDS};

/// The cluster's hash slots.
const SLOTS: u16 = 16_384;

/// How long the shard-to-primary map is trusted before it is read again. A stale map costs round trips, never
/// correctness: a call sent to the wrong node is redirected (by the connection) or sent again alone.
const OWNERS_MAX_AGE: Duration = Duration::from_secs(30);

pub(super) struct Cluster {
    client: ClusterClient,
    connection: Mutex<Option<ClusterConnection>>,
    owners: Mutex<Option<ShardOwners>>,
}

/// Which primary owns each shard's slot, as `CLUSTER SLOTS` said when it was read.
#[derive(Debug, Clone)]
struct ShardOwners {
    /// Per shard, the owning primary's `host:port`.
    node: Vec<String>,
    read_at: Instant,
}

impl Cluster {
    pub(super) fn new(urls: &[String], timeout: Duration) -> Result<Self, CacheError> {
        let client = ClusterClient::builder(urls.iter().map(String::as_str))
            .connection_timeout(timeout)
            .response_timeout(timeout)
            // Redirects and a cluster that is electing a new primary are retried quickly; the caller's
            // time-out bounds it all.
            .retries(8)
            .min_retry_wait(10)
            .max_retry_wait(200)
            .build()
            .map_err(|error| CacheError::Unavailable(format!("REDIS_CLUSTER_URLS: {error}")))?;
        Ok(Cluster {
            client,
            connection: Mutex::new(None),
            owners: Mutex::new(None),
        })
    }

    /// One call goes straight to the node that owns its key; several go as one pipeline per owning node.
    pub(super) async fn send(
        &self,
        calls: &[Call],
        round_trips: &AtomicU64,
    ) -> Result<Vec<Value>, SendError> {
        let mut connection = self.connection().await?;
        if let [call] = calls {
            round_trips.fetch_add(1, Ordering::Relaxed);
            let reply: Value = call.to_command(None).query_async(&mut connection).await?;
            return Ok(vec![reply]);
        }
        let owners = self.owners(&mut connection, round_trips).await?;
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, call) in calls.iter().enumerate() {
            let node = owners
                .node
                .get(usize::from(call.shard))
                .map_or("", String::as_str);
            groups.entry(node).or_default().push(index);
        }
        round_trips.fetch_add(groups.len() as u64, Ordering::Relaxed);
        let sends = groups.into_values().map(|indices| {
            let mut connection = connection.clone();
            let mut pipeline = redis::pipe();
            for &index in &indices {
                if let Some(call) = calls.get(index) {
                    pipeline.add_command(call.to_command(None));
                }
            }
            let first_shard = indices
                .first()
                .and_then(|&index| calls.get(index))
                .map_or(0, |call| call.shard);
            // Routed by slot: the connection's own slot map picks the primary, and follows a redirect.
            let route = SingleNodeRoutingInfo::SpecificNode(Route::new(
                slot_of(first_shard),
                SlotAddr::Master,
            ));
            async move {
                let replies = connection
                    .route_pipeline(pipeline, 0, indices.len(), route)
                    .await
                    .and_then(|replies| Value::Array(replies).extract_error());
                (indices, replies)
            }
        });
        let answers = futures_util::future::join_all(sends).await;
        let mut replies = vec![Value::Nil; calls.len()];
        for (indices, answer) in answers {
            let values = match answer {
                Ok(Value::Array(values)) if values.len() == indices.len() => values,
                Ok(other) => {
                    return Err(SendError::Redis(RedisError::from((
                        ErrorKind::Parse,
                        "a pipeline's replies",
                        format!("{other:?}"),
                    ))))
                }
                // Shards that moved since the map was read: nothing of these ran. Each call goes alone
                // (routed by its key, redirects followed), and the map is read again next time.
                Err(error) if is_redirect(&error) => {
                    self.forget_owners();
                    let mut values = Vec::with_capacity(indices.len());
                    for &index in &indices {
                        let Some(call) = calls.get(index) else {
                            continue;
                        };
                        round_trips.fetch_add(1, Ordering::Relaxed);
                        values.push(call.to_command(None).query_async(&mut connection).await?);
                    }
                    values
                }
                Err(error) => return Err(SendError::Redis(error)),
            };
            for (index, value) in indices.into_iter().zip(values) {
                if let Some(reply) = replies.get_mut(index) {
                    *reply = value;
                }
            }
        }
        Ok(replies)
    }

    /// `SCRIPT LOAD` on every primary (a promoted replica has an empty script cache).
    pub(super) async fn load_scripts(
        &self,
        sources: &[&str],
        round_trips: &AtomicU64,
    ) -> Result<(), SendError> {
        let mut connection = self.connection().await?;
        for source in sources {
            let mut load = redis::cmd("SCRIPT");
            load.arg("LOAD").arg(*source);
            round_trips.fetch_add(1, Ordering::Relaxed);
            connection
                .route_command(
                    load,
                    RoutingInfo::MultiNode((
                        MultipleNodeRoutingInfo::AllMasters,
                        Some(ResponsePolicy::AllSucceeded),
                    )),
                )
                .await?;
        }
        Ok(())
    }

    async fn connection(&self) -> Result<ClusterConnection, SendError> {
        if let Some(connection) = self.connection.lock().ok().and_then(|slot| slot.clone()) {
            return Ok(connection);
        }
        let connection = self
            .client
            .get_async_connection()
            .await
            .map_err(|error| SendError::NoConnection(error.to_string()))?;
        if let Ok(mut slot) = self.connection.lock() {
            *slot = Some(connection.clone());
        }
        Ok(connection)
    }

    pub(super) fn forget_connection(&self) {
        if let Ok(mut slot) = self.connection.lock() {
            *slot = None;
        }
        self.forget_owners();
    }

    fn forget_owners(&self) {
        if let Ok(mut owners) = self.owners.lock() {
            *owners = None;
        }
    }

    async fn owners(
        &self,
        connection: &mut ClusterConnection,
        round_trips: &AtomicU64,
    ) -> Result<ShardOwners, SendError> {
        let cached = self.owners.lock().ok().and_then(|owners| owners.clone());
        if let Some(owners) = cached.filter(|owners| owners.read_at.elapsed() < OWNERS_MAX_AGE) {
            return Ok(owners);
        }
        round_trips.fetch_add(1, Ordering::Relaxed);
        let reply = connection
            .route_command(
                redis::cmd("CLUSTER").arg("SLOTS").clone(),
                RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
            )
            .await?;
        let owners = ShardOwners {
            node: shard_owners(&reply).ok_or_else(|| {
                RedisError::from((ErrorKind::Parse, "CLUSTER SLOTS", format!("{reply:?}")))
            })?,
            read_at: Instant::now(),
        };
        if let Ok(mut slot) = self.owners.lock() {
            *slot = Some(owners.clone());
        }
        Ok(owners)
    }
}

/// `MOVED` / `ASK` (the slot is, or is going, elsewhere) or `CROSSSLOT` (a pipeline grouped by a stale map):
/// the call did not run there.
fn is_redirect(error: &RedisError) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Server(
            ServerErrorKind::Moved | ServerErrorKind::Ask | ServerErrorKind::CrossSlot
        )
    )
}

/// The hash slot of a shard's keys: the CRC16 of their hash tag (the shard number), as Redis Cluster
/// computes it.
pub(super) fn slot_of(shard: u16) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(shard.to_string().as_bytes()) % SLOTS
}

/// Per shard, the `host:port` of the primary that owns its slot, from a `CLUSTER SLOTS` reply:
/// `[[first slot, last slot, [host, port, id...], replicas...], ...]`. `None` if a shard's slot is not covered.
fn shard_owners(reply: &Value) -> Option<Vec<String>> {
    let Value::Array(ranges) = reply else {
        return None;
    };
    let mut owned = Vec::new();
    for range in ranges {
        let Value::Array(fields) = range else {
            return None;
        };
        let [Value::Int(first), Value::Int(last), Value::Array(primary), ..] = fields.as_slice()
        else {
            return None;
        };
        let (Some(host), Some(Value::Int(port))) = (primary.first(), primary.get(1)) else {
            return None;
        };
        let host = match host {
            Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok()?,
            Value::SimpleString(text) => text.clone(),
            _ => return None,
        };
        owned.push((*first..=*last, format!("{host}:{port}")));
    }
    (0..SHARDS)
        .map(|shard| {
            let slot = i64::from(slot_of(shard));
            owned
                .iter()
                .find(|(slots, _)| slots.contains(&slot))
                .map(|(_, node)| node.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_computed_as_redis_cluster_does() {
        // `CLUSTER KEYSLOT {0}` ... as a Redis 7 server answers them (the cluster test checks all 16).
        assert_eq!(slot_of(0), 13_907);
        assert_eq!(slot_of(1), 9_842);
        assert_eq!(slot_of(15), 4_178);
    }

    #[test]
    fn shard_owners_come_from_cluster_slots() {
        let node = |host: &str, port: i64| {
            Value::Array(vec![
                Value::BulkString(host.as_bytes().to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(8191),
                node("10.0.0.1", 7000),
            ]),
            Value::Array(vec![
                Value::Int(8192),
                Value::Int(16383),
                node("10.0.0.2", 7001),
                node("10.0.0.3", 7002),
            ]),
        ]);
        let owners = shard_owners(&reply).expect("every slot covered");
        assert_eq!(owners.len(), usize::from(SHARDS));
        assert_eq!(owners.first().map(String::as_str), Some("10.0.0.2:7001"));
        assert_eq!(owners.get(15).map(String::as_str), Some("10.0.0.1:7000"));
        let partial = Value::Array(vec![Value::Array(vec![
            Value::Int(0),
            Value::Int(100),
            node("10.0.0.1", 7000),
        ])]);
        assert_eq!(shard_owners(&partial), None);
    }
}
