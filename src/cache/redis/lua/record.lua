-- Records one click (after the prelude). KEYS[1..5]: the post's shard, KEYS[6]: the click's id key, KEYS[7]: the day's
-- reader HyperLogLog (all in the shard's slot). ARGV[4]: post id, ARGV[5]: a fresh batch id, used only if
-- the pending hash is born now, ARGV[6]: how long the click id is remembered, in ms, ARGV[7]: the hour the
-- click was made in (hours since the Unix epoch), ARGV[8]: the reader's hash (or ''), ARGV[9]: how long the
-- reader HyperLogLog is kept, in seconds. With a per-client limit (after gcra.lua): KEYS[8]: the client's
-- allowance key, ARGV[10]: the interval between two allowed clicks in ms, ARGV[11]: the burst tolerance in
-- ms; ARGV[10] is '' without one.
--
-- The click is added to the post's field and to its hour's field (`<post id>@<hour>`) together, so a
-- batch's hourly deltas always add up to its post deltas, and to the post's total if one is held.
-- A click id is counted once: sending the same click again (after an ambiguous reply) changes nothing.
-- A pending hash is born with its batch id and the run id of this Redis process, so no delta ever exists
-- without its label.
-- A click over the client's limit is not counted and takes nothing; a click id counted before takes no
-- allowance again.
-- Returns {1 if this call counted the click, 0 if not (its id had been counted before, or the client is over
-- its limit), the post's total as the prelude's total_of gives it, the ms the client must wait (0: within
-- its limit)}.
local shard = shard_at(1)
prepare(shard)
local counted = 0
local total = false
local wait = 0
if ARGV[10] ~= '' and redis.call('EXISTS', KEYS[6]) == 0 then
  wait = take(KEYS[8], tonumber(ARGV[10]), tonumber(ARGV[11]))
end
if wait == 0 and redis.call('SET', KEYS[6], '1', 'NX', 'PX', ARGV[6]) then
  if redis.call('HSETNX', KEYS[1], '__batch', ARGV[5]) == 1 then
    redis.call('HSET', KEYS[1], '__run', run)
  end
  redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
  redis.call('HINCRBY', KEYS[1], ARGV[4] .. '@' .. ARGV[7], 1)
  if redis.call('HEXISTS', KEYS[4], ARGV[4]) == 1 then
    total = {redis.call('HINCRBY', KEYS[4], ARGV[4], 1)}
  end
  if ARGV[8] ~= '' and redis.call('PFADD', KEYS[7], ARGV[8]) == 1 then
    redis.call('EXPIRE', KEYS[7], ARGV[9])
  end
  counted = 1
end
return {counted, total or total_of(shard, ARGV[4]), wait}
