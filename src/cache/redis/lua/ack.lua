-- Acknowledges an applied batch. KEYS[1]: in-flight hash, ARGV[1]: the batch id that was applied.
-- Deletes the hash only if it still carries that id (another instance may have moved on). Returns 1 or 0.
if redis.call('HGET', KEYS[1], '__batch') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
