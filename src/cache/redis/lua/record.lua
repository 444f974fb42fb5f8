-- Records one click. KEYS[1]: the shard's pending hash, KEYS[2]: its in-flight hash, KEYS[3]: the click's
-- id key (in the shard's slot). ARGV[1]: post id, ARGV[2]: a fresh batch id, used only if the pending hash is
-- born now, ARGV[3]: how long the click id is remembered, in ms.
-- A click id is counted once: sending the same click again (after an ambiguous reply) changes nothing.
-- A pending hash is born with its batch id, so no delta ever exists without its label.
-- Returns {pending batch id or nil, pending delta or nil, in-flight batch id or nil, in-flight delta or nil,
-- 1 if this call counted the click, 0 if its id had been counted before}.
local counted = 0
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then
  redis.call('HSETNX', KEYS[1], '__batch', ARGV[2])
  redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
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
