-- Takes one from a client's allowance (after gcra.lua). KEYS[1]: the client's key. ARGV[1]: the interval
-- between two allowed calls in ms; ARGV[2]: the burst tolerance in ms. Returns 0 if allowed (and takes it),
-- else the ms to wait.
return take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
