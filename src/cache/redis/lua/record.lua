-- Records one click. After the prelude's KEYS and ARGV: KEYS[6]: the click's id key, KEYS[7]: the day's
-- reader HyperLogLog (all in the shard's slot). ARGV[3]: post id, ARGV[4]: a fresh batch id, used only if
-- the pending hash is born now, ARGV[5]: how long the click id is remembered, in ms, ARGV[6]: the hour the
-- click was made in (hours since the Unix epoch), ARGV[7]: the reader's hash (or ''), ARGV[8]: how long the
-- reader HyperLogLog is kept, in seconds.
--
-- The click is added to the post's field and to its hour's field (`<post id>@<hour>`) together, so a
-- batch's hourly deltas always add up to its post deltas, and to the post's total if one is held.
-- A click id is counted once: sending the same click again (after an ambiguous reply) changes nothing.
-- A pending hash is born with its batch id and the run id of this Redis process, so no delta ever exists
-- without its label.
-- Returns {1 if this call counted the click, 0 if its id had been counted before, the post's total as the
-- prelude's total_of gives it}.
local counted = 0
if redis.call('SET', KEYS[6], '1', 'NX', 'PX', ARGV[5]) then
  if redis.call('HSETNX', KEYS[1], '__batch', ARGV[4]) == 1 then
    redis.call('HSET', KEYS[1], '__run', run)
  end
  redis.call('HINCRBY', KEYS[1], ARGV[3], 1)
  redis.call('HINCRBY', KEYS[1], ARGV[3] .. '@' .. ARGV[6], 1)
  if redis.call('HEXISTS', KEYS[4], ARGV[3]) == 1 then
    redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
  end
  if ARGV[7] ~= '' and redis.call('PFADD', KEYS[7], ARGV[7]) == 1 then
    redis.call('EXPIRE', KEYS[7], ARGV[8])
  end
  counted = 1
end
return {counted, total_of(ARGV[3])}
