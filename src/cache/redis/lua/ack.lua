-- Acknowledges a batch the sync has dealt with. KEYS[1]: the shard's in-flight hash, KEYS[2]: its set-aside
-- hash. ARGV[1]: the batch id, ARGV[2]: 'aside' for a set-aside batch, 'in-flight' otherwise.
-- An in-flight hash is deleted only if it still carries that id (another instance may have moved on); a
-- set-aside batch's fields are removed. Returns 1 if something was removed, else 0.
if ARGV[2] == 'aside' then
  local prefix = ARGV[1] .. '|'
  local removed = 0
  for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
    if string.sub(field, 1, #prefix) == prefix then
      removed = removed + redis.call('HDEL', KEYS[2], field)
    end
  end
  return math.min(removed, 1)
end
if redis.call('HGET', KEYS[1], '__batch') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
