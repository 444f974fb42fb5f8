-- Takes one from a client's allowance for one action (GCRA, as the governor crate keeps it in memory: a burst
-- of the whole per-minute rate, then one every minute / rate). KEYS[1]: the client's key. ARGV[1]: the interval
-- between two allowed calls in ms; ARGV[2]: the burst tolerance in ms (one minute minus the interval).
-- Redis's clock decides, so instances with skewed clocks share one limit. Returns 0 if allowed (and takes it),
-- else the ms to wait.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
if now < tat - tolerance then
  return tat - tolerance - now
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.max(1, next_tat - now))
return 0
