-- The start of every script that reads or writes a shard's totals (record, read, seed). KEYS[1]: the shard's
-- pending hash, KEYS[2]: its in-flight hash, KEYS[3]: its set-aside hash, KEYS[4]: its totals hash, KEYS[5]:
-- its generation. ARGV[1]: the run id of the Redis process this runs on, as the caller's connection learnt it
-- when it was made ('' if the caller cannot know: a cluster's connection hides which node it reached; then
-- `INFO server` is asked here), ARGV[2]: the click epoch the caller knows, ARGV[3]: a fresh token, for a
-- generation born now.
--
-- Brings the shard up to date with this Redis process and the database before anything is read:
-- * a pending hash written by another process (this one restarted from an older state, or replaced a
--   primary) may hold a batch that was applied already: before any click joins it, it is moved whole into
--   the set-aside hash (fields `<batch id>|<post id>`), where the sync lets the ledger decide; the
--   generation moves, so that no seed made across it is kept;
-- * totals written by another process, or held under an older click epoch than the caller knows, are
--   dropped (they are seeded again from the database);
-- * a shard without a generation (a new or flushed Redis) gets one.
-- docs/ARCHITECTURE.md "Cached totals" says why this keeps every held total equal to the displayed count.
local run = ARGV[1]
if run == '' then
  run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
end
local pending_run = redis.call('HGET', KEYS[1], '__run')
if pending_run and pending_run ~= run then
  local old = redis.call('HGETALL', KEYS[1])
  local old_batch = redis.call('HGET', KEYS[1], '__batch')
  for i = 1, #old, 2 do
    if string.sub(old[i], 1, 2) ~= '__' then
      redis.call('HINCRBY', KEYS[3], old_batch .. '|' .. old[i], old[i + 1])
    end
  end
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[5], ARGV[3])
end
local totals_meta = redis.call('HMGET', KEYS[4], '__run', '__epoch')
if totals_meta[1] and (totals_meta[1] ~= run or tonumber(totals_meta[2]) < tonumber(ARGV[2])) then
  redis.call('DEL', KEYS[4])
end
local generation = redis.call('GET', KEYS[5])
if not generation then
  generation = ARGV[3]
  redis.call('SET', KEYS[5], generation)
end

-- What seeding a post's total needs: {false, pending batch, its delta, in-flight batch, its delta, the
-- set-aside deltas as a flat list of batch id and delta, the generation}; or {total} when it is held.
local function total_of(post)
  local total = redis.call('HGET', KEYS[4], post)
  if total then
    return {tonumber(total)}
  end
  local pending_batch = redis.call('HGET', KEYS[1], '__batch')
  local pending_delta = false
  if pending_batch then
    pending_delta = redis.call('HGET', KEYS[1], post)
  end
  local in_flight_batch = redis.call('HGET', KEYS[2], '__batch')
  local in_flight_delta = false
  if in_flight_batch then
    in_flight_delta = redis.call('HGET', KEYS[2], post)
  end
  local aside = {}
  if redis.call('EXISTS', KEYS[3]) == 1 then
    local suffix = '|' .. post
    local fields = redis.call('HGETALL', KEYS[3])
    for i = 1, #fields, 2 do
      if string.sub(fields[i], -#suffix) == suffix then
        table.insert(aside, string.sub(fields[i], 1, #fields[i] - #suffix))
        table.insert(aside, fields[i + 1])
      end
    end
  end
  return {false, pending_batch, pending_delta, in_flight_batch, in_flight_delta, aside, generation}
end
