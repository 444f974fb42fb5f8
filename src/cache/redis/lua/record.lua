-- Records one click. KEYS[1]: the shard's pending hash, KEYS[2]: its in-flight hash.
-- ARGV[1]: post id, ARGV[2]: a fresh batch id, used only if the pending hash is born now.
-- A pending hash is born with its batch id, so no delta ever exists without its label.
-- Returns {pending batch id, pending delta, in-flight batch id or nil, in-flight delta or nil}.
redis.call('HSETNX', KEYS[1], '__batch', ARGV[2])
local delta = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local batch = redis.call('HGET', KEYS[1], '__batch')
local in_flight_batch = redis.call('HGET', KEYS[2], '__batch')
local in_flight_delta = false
if in_flight_batch then
  in_flight_delta = redis.call('HGET', KEYS[2], ARGV[1])
end
return {batch, delta, in_flight_batch, in_flight_delta}
