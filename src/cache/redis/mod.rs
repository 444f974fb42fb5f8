//! The Redis click cache: each operation is one atomic Lua script (several, for several shards, pipelined
//! into one round trip). Short time-outs and a circuit breaker keep a dead Redis from slowing requests.

mod batches;
mod breaker;
mod call;
mod client;
mod cluster;
mod rate;
mod reply;
mod single;

use std::collections::HashMap;
use std::time::Duration;

use deadpool_redis::redis::{self, Value};

use self::batches::{decode_aside, decode_batch, decode_record, decode_total};
pub use self::client::RedisEndpoint;
use self::client::{Call, RedisClient};
pub use self::rate::RedisRateStore;
use self::rate::{client_key, gcra, Salt, SALT};
use self::reply::{array, first, int, protocol, text};
use super::{
    shard_of, CacheBackend, CacheError, ClickId, ClientLimit, DrainedBatch, ParkedClick,
    PendingHour, Recorded, Seed, Total, SHARDS,
};

// The scripts that touch a shard's totals start with the prelude (it brings the shard up to date first).
const RECORD: &str = concat!(
    include_str!("lua/gcra.lua"),
    include_str!("lua/prelude.lua"),
    include_str!("lua/record.lua")
);
const READ: &str = concat!(
    include_str!("lua/prelude.lua"),
    include_str!("lua/read.lua")
);
const SEED: &str = concat!(
    include_str!("lua/prelude.lua"),
    include_str!("lua/seed.lua")
);
const DRAIN: &str = include_str!("lua/drain.lua");
const ACK: &str = include_str!("lua/ack.lua");
const HOURS: &str = include_str!("lua/hours.lua");
const READERS: &str = include_str!("lua/readers.lua");

/// How long a day's reader HyperLogLog is kept: the stats can show unique readers this far back.
const READERS_TTL_SECONDS: u64 = 400 * 86_400;

/// The field of a pending or in-flight hash that holds its batch id.
const BATCH_FIELD: &str = "__batch";

/// How to reach Redis. Its `Debug` form hides the password in the URL.
#[derive(Clone)]
pub struct RedisSettings {
    /// `REDIS_URL`, or `REDIS_CLUSTER_URLS`.
    pub endpoint: RedisEndpoint,
    /// `REDIS_KEY_PREFIX`: every key starts with it, so deployments and tests can share one Redis.
    pub key_prefix: String,
    /// `REDIS_TIMEOUT_MS`: the longest a request waits for Redis before counting in the database.
    pub timeout: Duration,
    /// `CLICK_ID_TTL_MS`: how long Redis remembers a click's id, so that a click sent again after an
    /// ambiguous reply is counted once. Parked clicks must be settled within it.
    pub click_id_ttl: Duration,
}

impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("endpoint", &self.endpoint)
            .field("key_prefix", &self.key_prefix)
            .field("timeout", &self.timeout)
            .field("click_id_ttl", &self.click_id_ttl)
            .finish()
    }
}

/// The scripts' sources, in the order [`RedisClient`] loads them.
const SOURCES: &[&str] = &[RECORD, READ, SEED, DRAIN, ACK, HOURS, READERS, SALT];

/// The scripts' SHA1 digests, for `EVALSHA`.
struct Scripts {
    record: String,
    read: String,
    seed: String,
    drain: String,
    ack: String,
    hours: String,
    readers: String,
}

/// Click deltas in Redis.
pub struct RedisClickCache {
    client: RedisClient,
    prefix: String,
    click_id_ttl: Duration,
    scripts: Scripts,
    /// One server (not a cluster): one script may reach keys of several shards, and of a client's limit.
    /// Per-client limits are then taken in the record call, and a read of many posts is one call; a
    /// cluster keeps each shard, and a client's allowance, in a slot of its own.
    single_server: bool,
    salt: Salt,
    /// Every shard's five keys, made once (a list page names up to all of them in one call).
    shard_key_table: Vec<[String; 5]>,
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
        let sha = |source: &str| redis::Script::new(source).get_hash().to_owned();
        let mut cache = RedisClickCache {
            client: RedisClient::new(&settings.endpoint, settings.timeout, SOURCES)?,
            prefix: settings.key_prefix.clone(),
            click_id_ttl: settings.click_id_ttl,
            single_server: matches!(settings.endpoint, RedisEndpoint::Single(_)),
            salt: Salt::default(),
            scripts: Scripts {
                record: sha(RECORD),
                read: sha(READ),
                seed: sha(SEED),
                drain: sha(DRAIN),
                ack: sha(ACK),
                hours: sha(HOURS),
                readers: sha(READERS),
            },
            shard_key_table: Vec::new(),
        };
        cache.shard_key_table = (0..SHARDS)
            .map(|shard| {
                [
                    cache.pending_key(shard),
                    cache.in_flight_key(shard),
                    cache.aside_key(shard),
                    cache.totals_key(shard),
                    cache.generation_key(shard),
                ]
            })
            .collect();
        Ok(cache)
    }

    fn pending_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:pending", self.prefix)
    }

    fn in_flight_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:in-flight", self.prefix)
    }

    /// Where the record script sets aside pending batches written by another Redis process.
    fn aside_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:aside", self.prefix)
    }

    /// The shard's displayed totals, with the run id and click epoch they are held under.
    fn totals_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:totals", self.prefix)
    }

    /// The shard's generation: a token every drain and set-aside replaces.
    fn generation_key(&self, shard: u16) -> String {
        format!("{}:clicks:{{{shard}}}:generation", self.prefix)
    }

    /// The five keys that name a shard to the scripts on totals (docs in `lua/prelude.lua`).
    #[expect(
        clippy::indexing_slicing,
        reason = "a shard is below SHARDS (shard_of takes a remainder) and the table holds one entry per shard"
    )]
    fn shard_keys(&self, shard: u16) -> &[String; 5] {
        &self.shard_key_table[usize::from(shard)]
    }

    /// A shard's keys and the prelude's arguments after the run id (docs in `lua/prelude.lua`), which every
    /// script on totals starts with.
    fn prelude(&self, shard: u16, click_epoch: i64) -> (Vec<String>, Vec<String>) {
        let keys = self.shard_keys(shard).to_vec();
        let args = vec![click_epoch.to_string(), fresh_token()];
        (keys, args)
    }

    /// The key that remembers a click id, in its post's shard's slot.
    fn click_id_key(&self, shard: u16, click_id: &ClickId) -> String {
        format!(
            "{}:clicks:{{{shard}}}:id:{}",
            self.prefix,
            click_id.as_str()
        )
    }

    /// A post's readers on one UTC day, in its shard's slot.
    fn readers_key(&self, post_id: i64, day: i64) -> String {
        let shard = shard_of(post_id);
        format!("{}:clicks:{{{shard}}}:readers:{post_id}:{day}", self.prefix)
    }

    /// A record call; `allowance`: the client's allowance key and its rate, when the call takes one.
    fn record_call(
        &self,
        post_id: i64,
        hour: i64,
        reader: Option<&str>,
        click_id: &ClickId,
        click_epoch: i64,
        allowance: Option<(String, u32)>,
    ) -> Call {
        let shard = shard_of(post_id);
        let (mut keys, mut args) = self.prelude(shard, click_epoch);
        keys.extend([
            self.click_id_key(shard, click_id),
            self.readers_key(post_id, hour.div_euclid(24)),
        ]);
        args.extend([
            post_id.to_string(),
            uuid::Uuid::new_v4().to_string(),
            self.click_id_ttl.as_millis().to_string(),
            hour.to_string(),
            reader.unwrap_or_default().to_owned(),
            READERS_TTL_SECONDS.to_string(),
        ]);
        match allowance {
            Some((key, per_minute)) => {
                let (interval, tolerance) = gcra(per_minute);
                keys.push(key);
                args.extend([interval.to_string(), tolerance.to_string()]);
            }
            None => args.extend([String::new(), String::new()]),
        }
        Call::naming_server(shard, &self.scripts.record, &keys, args)
    }
}

/// A random token (a generation, born with a shard or moved by a drain).
fn fresh_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Post ids (or anything keyed by one) grouped by shard, each post once, in a stable order.
fn by_shard<T>(items: impl IntoIterator<Item = (i64, T)>) -> Vec<(u16, Vec<(i64, T)>)> {
    let mut grouped: std::collections::BTreeMap<u16, Vec<(i64, T)>> =
        std::collections::BTreeMap::new();
    for (post_id, item) in items {
        let group = grouped.entry(shard_of(post_id)).or_default();
        if !group.iter().any(|(seen, _)| *seen == post_id) {
            group.push((post_id, item));
        }
    }
    grouped.into_iter().collect()
}

#[async_trait::async_trait]
impl CacheBackend for RedisClickCache {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn record_click(
        &self,
        post_id: i64,
        hour: i64,
        reader: Option<&str>,
        click_id: &ClickId,
        click_epoch: i64,
        limit: Option<&ClientLimit>,
    ) -> Result<Recorded, CacheError> {
        let allowance = match limit.filter(|_| self.single_server) {
            Some(limit) => {
                let salt = self.salt.get(&self.client, &self.prefix).await?;
                let key = client_key(&self.prefix, limit.action, salt, &limit.client);
                Some((key, limit.per_minute))
            }
            None => None,
        };
        let call = self.record_call(post_id, hour, reader, click_id, click_epoch, allowance);
        // Not repeated here: a time-out leaves the click's outcome open, and the caller parks it.
        let reply = self.client.run(&[call], false).await?;
        decode_record(first(&reply)?)
    }

    async fn settle(&self, clicks: &[ParkedClick]) -> Result<Vec<Recorded>, CacheError> {
        if clicks.is_empty() {
            return Ok(Vec::new());
        }
        let calls: Vec<Call> = clicks
            .iter()
            // Epoch 0 drops nothing: a settled click raises a held total like any other.
            .map(|click| {
                self.record_call(click.post_id, click.hour, None, &click.click_id, 0, None)
            })
            .collect();
        // Safe to repeat: each click keeps its id, which Redis counts once.
        let replies = self.client.run(&calls, true).await?;
        replies.iter().map(decode_record).collect()
    }

    async fn totals(
        &self,
        post_ids: &[i64],
        click_epoch: i64,
    ) -> Result<HashMap<i64, Total>, CacheError> {
        let shards = by_shard(post_ids.iter().map(|id| (*id, ())));
        if shards.is_empty() {
            return Ok(HashMap::new());
        }
        // One call for every shard on a single server; a call per shard on a cluster (a call's keys must
        // share a slot).
        let groups: Vec<&[(u16, Vec<(i64, ())>)]> = if self.single_server {
            vec![shards.as_slice()]
        } else {
            shards.chunks(1).collect()
        };
        let calls: Vec<Call> = groups
            .iter()
            .map(|group| {
                let mut keys: Vec<&str> = Vec::with_capacity(5 * group.len());
                let (_, mut args) = self.prelude(0, click_epoch);
                for (shard, posts) in *group {
                    keys.extend(self.shard_keys(*shard).iter().map(String::as_str));
                    args.push(posts.len().to_string());
                    args.extend(posts.iter().map(|(id, ())| id.to_string()));
                }
                let first = group.first().map_or(0, |(shard, _)| *shard);
                Call::naming_server(first, &self.scripts.read, &keys, args)
            })
            .collect();
        let replies = self.client.run(&calls, true).await?;
        let mut found = HashMap::new();
        for (group, reply) in groups.iter().zip(&replies) {
            let entries = array(reply)?;
            let posts = group.iter().flat_map(|(_, posts)| posts);
            if entries.len() != posts.clone().count() {
                return Err(protocol("read", reply));
            }
            for ((post_id, ()), entry) in posts.zip(entries) {
                found.insert(*post_id, decode_total(entry)?);
            }
        }
        Ok(found)
    }

    async fn seed(&self, click_epoch: i64, seeds: &[Seed]) -> Result<Vec<Option<i64>>, CacheError> {
        let shards = by_shard(seeds.iter().map(|seed| (seed.post_id, seed)));
        if shards.is_empty() {
            return Ok(Vec::new());
        }
        let calls: Vec<Call> = shards
            .iter()
            .map(|(shard, group)| {
                let (keys, mut args) = self.prelude(*shard, click_epoch);
                for (post_id, seed) in group {
                    args.extend([
                        post_id.to_string(),
                        seed.total.to_string(),
                        seed.ticket.generation.clone(),
                        seed.ticket.pending_batch.clone().unwrap_or_default(),
                        seed.ticket.pending_delta.to_string(),
                    ]);
                }
                Call::naming_server(*shard, &self.scripts.seed, &keys, args)
            })
            .collect();
        // Safe to repeat: a seed kept once is found held the second time.
        let replies = self.client.run(&calls, true).await?;
        let mut held: HashMap<i64, Option<i64>> = HashMap::new();
        for ((_, group), reply) in shards.iter().zip(&replies) {
            let answers = array(reply)?;
            if answers.len() != group.len() {
                return Err(protocol("seed", reply));
            }
            for ((post_id, _), answer) in group.iter().zip(answers) {
                held.insert(*post_id, int(answer));
            }
        }
        Ok(seeds
            .iter()
            .map(|seed| held.get(&seed.post_id).copied().flatten())
            .collect())
    }

    async fn drain(&self) -> Result<Vec<DrainedBatch>, CacheError> {
        let calls: Vec<Call> = (0..SHARDS)
            .map(|shard| {
                let [pending, in_flight, aside, _, generation] = self.shard_keys(shard);
                let keys = [pending, in_flight, aside, generation];
                Call::script(shard, &self.scripts.drain, &keys, &[fresh_token()])
            })
            .collect();
        let replies = self.client.run(&calls, true).await?;
        let mut batches = Vec::new();
        for (shard, reply) in (0..SHARDS).zip(&replies) {
            if let Value::Nil = reply {
                continue;
            }
            let [resumed, in_flight, aside] = array(reply)? else {
                return Err(protocol("drain", reply));
            };
            if let Value::Array(fields) = in_flight {
                let (batch_id, deltas) = decode_batch(fields)
                    .ok_or_else(|| protocol("drain (an in-flight hash)", reply))?;
                batches.push(DrainedBatch {
                    shard,
                    batch_id,
                    deltas: deltas.posts,
                    hours: deltas.hours,
                    resumed: int(resumed) == Some(1),
                    aside: false,
                });
            }
            let aside = decode_aside(array(aside)?)
                .ok_or_else(|| protocol("drain (the set-aside hash)", reply))?;
            for (batch_id, deltas) in aside {
                batches.push(DrainedBatch {
                    shard,
                    batch_id,
                    deltas: deltas.posts,
                    hours: deltas.hours,
                    resumed: false,
                    aside: true,
                });
            }
        }
        Ok(batches)
    }

    async fn pending_hours(
        &self,
        first_hour: i64,
        post: Option<i64>,
    ) -> Result<Vec<PendingHour>, CacheError> {
        let shards: Vec<u16> = match post {
            Some(post) => vec![shard_of(post)],
            None => (0..SHARDS).collect(),
        };
        let mut args = vec![first_hour.to_string()];
        args.extend(post.map(|post| post.to_string()));
        let calls: Vec<Call> = shards
            .into_iter()
            .map(|shard| {
                let keys = [self.pending_key(shard), self.in_flight_key(shard)];
                Call::script(shard, &self.scripts.hours, &keys, &args)
            })
            .collect();
        let replies = self.client.run(&calls, true).await?;
        let mut found = Vec::new();
        for reply in &replies {
            for fields in array(reply)?.chunks(4) {
                let [batch, post, hour, delta] = fields else {
                    return Err(protocol("hours", reply));
                };
                match (text(batch), int(post), int(hour), int(delta)) {
                    (Some(batch_id), Some(post_id), Some(hour), Some(clicks)) => {
                        found.push(PendingHour {
                            batch_id,
                            post_id,
                            hour,
                            clicks,
                        });
                    }
                    _ => return Err(protocol("hours", reply)),
                }
            }
        }
        Ok(found)
    }

    async fn unique_readers(
        &self,
        post_id: i64,
        groups: &[Vec<i64>],
    ) -> Result<Vec<u64>, CacheError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = groups
            .iter()
            .flatten()
            .map(|day| self.readers_key(post_id, *day))
            .collect();
        let sizes: Vec<String> = groups.iter().map(|days| days.len().to_string()).collect();
        let call = Call::script(shard_of(post_id), &self.scripts.readers, &keys, &sizes);
        let reply = self.client.run(&[call], true).await?;
        let reply = first(&reply)?;
        array(reply)?
            .iter()
            .map(|count| {
                int(count)
                    .and_then(|count| u64::try_from(count).ok())
                    .ok_or_else(|| protocol("readers", reply))
            })
            .collect()
    }

    async fn acknowledge(&self, batches: &[DrainedBatch]) -> Result<usize, CacheError> {
        if batches.is_empty() {
            return Ok(0);
        }
        let calls: Vec<Call> = batches
            .iter()
            .map(|batch| {
                let keys = [self.in_flight_key(batch.shard), self.aside_key(batch.shard)];
                let kind = if batch.aside { "aside" } else { "in-flight" };
                let args = [batch.batch_id.clone(), kind.to_owned()];
                Call::script(batch.shard, &self.scripts.ack, &keys, &args)
            })
            .collect();
        let replies = self.client.run(&calls, true).await?;
        Ok(replies.iter().filter(|reply| int(reply) == Some(1)).count())
    }

    fn round_trips(&self) -> u64 {
        self.client.round_trips()
    }

    fn limits_clients(&self) -> bool {
        self.single_server
    }

    async fn prepare(&self) -> Result<(), CacheError> {
        self.client.prepare().await?;
        if self.single_server {
            self.salt.get(&self.client, &self.prefix).await?;
        }
        Ok(())
    }

    fn is_available(&self) -> bool {
        self.client.is_available()
    }
}
