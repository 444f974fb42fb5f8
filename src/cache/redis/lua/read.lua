-- Reads the pending clicks of some posts of one shard. KEYS[1]: pending hash, KEYS[2]: in-flight hash.
-- ARGV: post ids. Returns {pending batch id or nil, in-flight batch id or nil,
-- pending deltas (one per ARGV, nil where none) or nil, in-flight deltas or nil}.
local pending_batch = redis.call('HGET', KEYS[1], '__batch')
local in_flight_batch = redis.call('HGET', KEYS[2], '__batch')
local pending = false
local in_flight = false
if pending_batch then
  pending = redis.call('HMGET', KEYS[1], unpack(ARGV))
end
if in_flight_batch then
  in_flight = redis.call('HMGET', KEYS[2], unpack(ARGV))
end
return {pending_batch, in_flight_batch, pending, in_flight}
