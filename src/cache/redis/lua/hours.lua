-- Reads the clicks by hour of one shard's pending and in-flight batches. KEYS[1]: pending hash, KEYS[2]:
-- in-flight hash. ARGV[1]: the first hour wanted; ARGV[2], if given: the one post wanted. Returns a flat list
-- of {batch id, post id, hour, delta} for every `<post id>@<hour>` field at or after that hour.
local out = {}
local first = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local batch = redis.call('HGET', key, '__batch')
  if batch then
    local fields = redis.call('HGETALL', key)
    for i = 1, #fields, 2 do
      local post, hour = string.match(fields[i], '^(%d+)@(%d+)$')
      if post and tonumber(hour) >= first and (ARGV[2] == nil or post == ARGV[2]) then
        out[#out + 1] = batch
        out[#out + 1] = post
        out[#out + 1] = hour
        out[#out + 1] = fields[i + 1]
      end
    end
  end
end
return out
