-- Takes one from a client's allowance for one action (GCRA, as the governor crate keeps it in memory: a burst
-- of the whole per-minute rate, then one every minute / rate), with Redis's clock, so instances with skewed
-- clocks share one limit. `key`: the client's key; `interval`: ms between two allowed calls; `tolerance`: the
-- burst tolerance in ms (one minute minus the interval). Returns 0 if allowed (and takes it), else the ms to
-- wait.
local function take(key, interval, tolerance)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then
    tat = now
  end
  if now < tat - tolerance then
    return tat - tolerance - now
  end
  local next_tat = tat + interval
  redis.call('SET', key, string.format('%d', next_tat), 'PX', math.max(1, next_tat - now))
  return 0
end
