-- The start of every script that reads or writes shards' totals (record, read, seed). A shard is named by
-- its five keys, in this order: its pending hash, its in-flight hash, its set-aside hash, its totals hash,
-- its generation. ARGV[1]: the run id of the Redis process this runs on, as the caller's connection learnt it
-- when it was made ('' if the caller cannot know: a cluster's connection hides which node it reached; then
-- `INFO server` is asked here), ARGV[2]: the click epoch the caller knows, ARGV[3]: a fresh token, for a
-- generation born now.
local run = ARGV[1]
if run == '' then
  run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
end

-- The keys of the shard whose five keys start at KEYS[first].
local function shard_at(first)
  return {KEYS[first], KEYS[first + 1], KEYS[first + 2], KEYS[first + 3], KEYS[first + 4]}
end

-- Brings a shard up to date with this Redis process and the database before anything is read or written:
-- * a pending hash written by another process (this one restarted from an older state, or replaced a
--   primary) may hold a batch that was applied already: before any click joins it, it is moved whole into
--   the set-aside hash (fields `<batch id>|<post id>`), where the sync lets the ledger decide; the
--   generation moves, so that no seed made across it is kept;
-- * totals written by another process, or held under an older click epoch than the caller knows, are
--   dropped (they are seeded again from the database).
-- docs/ARCHITECTURE.md "Cached totals" says why this keeps every held total equal to the displayed count.
local function prepare(shard)
  local pending_run = redis.call('HGET', shard[1], '__run')
  if pending_run and pending_run ~= run then
    local old = redis.call('HGETALL', shard[1])
    local old_batch = redis.call('HGET', shard[1], '__batch')
    for i = 1, #old, 2 do
      if string.sub(old[i], 1, 2) ~= '__' then
        redis.call('HINCRBY', shard[3], old_batch .. '|' .. old[i], old[i + 1])
      end
    end
    redis.call('DEL', shard[1])
    redis.call('SET', shard[5], ARGV[3])
  end
  local totals_meta = redis.call('HMGET', shard[4], '__run', '__epoch')
  if totals_meta[1] and (totals_meta[1] ~= run or tonumber(totals_meta[2]) < tonumber(ARGV[2])) then
    redis.call('DEL', shard[4])
  end
end

-- A prepared shard's generation; a shard without one (a new or flushed Redis) gets one. Asked only when a
-- seed's ticket is handed out or a seed is judged: a held total needs none.
local function generation_of(shard)
  local generation = redis.call('GET', shard[5])
  if not generation then
    generation = ARGV[3]
    redis.call('SET', shard[5], generation)
  end
  return generation
end

-- Whether the totals hash's metadata (its `__run` and `__epoch`, as HMGET gives them) says its totals are
-- held under this Redis process and a click epoch no older than the caller's: then `prepare` would keep them.
local function totals_current(held_run, held_epoch)
  return held_run == run and held_epoch and tonumber(held_epoch) >= tonumber(ARGV[2])
end

-- A post's total in a prepared shard: {total} when it is held; else what seeding it needs: {false, pending
-- batch, its delta, in-flight batch, its delta, the set-aside deltas as a flat list of batch id and delta,
-- the shard's generation}.
local function total_of(shard, post)
  local total = redis.call('HGET', shard[4], post)
  if total then
    return {tonumber(total)}
  end
  local pending_batch = redis.call('HGET', shard[1], '__batch')
  local pending_delta = false
  if pending_batch then
    pending_delta = redis.call('HGET', shard[1], post)
  end
  local in_flight_batch = redis.call('HGET', shard[2], '__batch')
  local in_flight_delta = false
  if in_flight_batch then
    in_flight_delta = redis.call('HGET', shard[2], post)
  end
  local aside = {}
  if redis.call('EXISTS', shard[3]) == 1 then
    local suffix = '|' .. post
    local fields = redis.call('HGETALL', shard[3])
    for i = 1, #fields, 2 do
      if string.sub(fields[i], -#suffix) == suffix then
        table.insert(aside, string.sub(fields[i], 1, #fields[i] - #suffix))
        table.insert(aside, fields[i + 1])
      end
    end
  end
  return {false, pending_batch, pending_delta, in_flight_batch, in_flight_delta, aside, generation_of(shard)}
end
