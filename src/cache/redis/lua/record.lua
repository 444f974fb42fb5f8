-- Records one click. KEYS[1]: the shard's pending hash, KEYS[2]: its in-flight hash, KEYS[3]: the click's
-- id key, KEYS[4]: the shard's set-aside hash (all in the shard's slot). ARGV[1]: post id, ARGV[2]: a fresh
-- batch id, used only if the pending hash is born now, ARGV[3]: how long the click id is remembered, in ms,
-- ARGV[4]: the hour the click was made in (hours since the Unix epoch), ARGV[5]: the reader's hash (or ''),
-- ARGV[6]: how long the day's reader HyperLogLog (KEYS[5]) is kept, in seconds.
--
-- The click is added to the post's field and to its hour's field (`<post id>@<hour>`) together, so a
-- batch's hourly deltas always add up to its post deltas.
-- A click id is counted once: sending the same click again (after an ambiguous reply) changes nothing.
-- A pending hash is born with its batch id and the run id of this Redis process, so no delta ever exists
-- without its label. A pending hash written by another process (this one restarted from an older state, or
-- replaced a primary) may hold a batch that was applied already: before any click joins it, it is moved
-- whole into the set-aside hash (fields `<batch id>|<post id>`), where the sync lets the ledger decide.
-- Returns {pending batch id or nil, pending delta or nil, in-flight batch id or nil, in-flight delta or nil,
-- 1 if this call counted the click, 0 if its id had been counted before}.
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
local pending_run = redis.call('HGET', KEYS[1], '__run')
if pending_run and pending_run ~= run then
  local old = redis.call('HGETALL', KEYS[1])
  local old_batch = redis.call('HGET', KEYS[1], '__batch')
  for i = 1, #old, 2 do
    if string.sub(old[i], 1, 2) ~= '__' then
      redis.call('HINCRBY', KEYS[4], old_batch .. '|' .. old[i], old[i + 1])
    end
  end
  redis.call('DEL', KEYS[1])
end
local counted = 0
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then
  if redis.call('HSETNX', KEYS[1], '__batch', ARGV[2]) == 1 then
    redis.call('HSET', KEYS[1], '__run', run)
  end
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
  redis.call('HINCRBY', KEYS[1], ARGV[1] .. '@' .. ARGV[4], 1)
  if ARGV[5] ~= '' and redis.call('PFADD', KEYS[5], ARGV[5]) == 1 then
    redis.call('EXPIRE', KEYS[5], ARGV[6])
  end
  counted = 1
end
local batch = redis.call('HGET', KEYS[1], '__batch')
local delta = false
if batch then
  delta = redis.call('HGET', KEYS[1], ARGV[1])
end
local in_flight_batch = redis.call('HGET', KEYS[2], '__batch')
local in_flight_delta = false
if in_flight_batch then
  in_flight_delta = redis.call('HGET', KEYS[2], ARGV[1])
end
return {batch, delta, in_flight_batch, in_flight_delta, counted}
