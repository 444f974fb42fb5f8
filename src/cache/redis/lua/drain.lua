-- Hands one shard's batches to the sync. KEYS[1]: pending hash, KEYS[2]: in-flight hash, KEYS[3]: set-aside
-- hash, KEYS[4]: the shard's generation; ARGV[1]: a fresh token. An in-flight hash left by a crashed or
-- failed sync is resumed; otherwise the pending hash becomes the in-flight one (the next click starts a new,
-- newly labelled, pending hash) and the generation moves (a seed read before it is refused). Batches the
-- prelude set aside come along.
-- Returns {1 if resumed else 0, the in-flight hash as a flat field/value list ('__batch' among them) or nil,
-- the set-aside hash as a flat list of `<batch id>|<post id>`, delta}, or nil when the shard has nothing.
local resumed = 1
if redis.call('EXISTS', KEYS[2]) == 0 then
  resumed = 0
  if redis.call('EXISTS', KEYS[1]) == 1 then
    redis.call('RENAME', KEYS[1], KEYS[2])
    redis.call('SET', KEYS[4], ARGV[1])
  end
end
local in_flight = false
if redis.call('EXISTS', KEYS[2]) == 1 then
  in_flight = redis.call('HGETALL', KEYS[2])
end
local aside = redis.call('HGETALL', KEYS[3])
if not in_flight and #aside == 0 then
  return false
end
return {resumed, in_flight, aside}
