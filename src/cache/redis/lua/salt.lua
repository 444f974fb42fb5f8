-- The deployment's salt for hashing client addresses into rate-limit keys: made by the first instance that
-- asks (ARGV[1], random), read by every other. KEYS[1]: the salt key.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
