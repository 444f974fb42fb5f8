-- Counts a post's unique readers over groups of days. KEYS: the post's reader HyperLogLogs, one per UTC day,
-- group after group (all in its shard's slot). ARGV: the size of each group, in order. Returns one estimate
-- per group: PFCOUNT of the union of its days.
local out = {}
local next_key = 1
for _, size in ipairs(ARGV) do
  local keys = {}
  for i = 1, tonumber(size) do
    keys[i] = KEYS[next_key]
    next_key = next_key + 1
  end
  if #keys == 0 then
    out[#out + 1] = 0
  else
    out[#out + 1] = redis.call('PFCOUNT', unpack(keys))
  end
end
return out
