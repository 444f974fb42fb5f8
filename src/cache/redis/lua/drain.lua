-- Hands one shard's batch to the sync. KEYS[1]: pending hash, KEYS[2]: in-flight hash.
-- An in-flight hash left by a crashed or failed sync is resumed; otherwise the pending hash becomes the
-- in-flight one (the next click starts a new, newly labelled, pending hash).
-- Returns {1 if resumed else 0, the in-flight hash as a flat field/value list ('__batch' among them)},
-- or nil when the shard has nothing.
local resumed = 1
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return false
  end
  redis.call('RENAME', KEYS[1], KEYS[2])
  resumed = 0
end
return {resumed, redis.call('HGETALL', KEYS[2])}
