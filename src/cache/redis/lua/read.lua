-- Reads the counts of some posts of one or more shards (after the prelude). KEYS: five per shard (see the
-- prelude). From ARGV[4] on, per shard in the order of KEYS: how many posts, then their ids. On one server a
-- list page's shards are read in one call; on a cluster a call holds one shard (its keys share a slot).
-- Returns one entry per post id, in the order given, as the prelude's total_of gives it.
local out = {}
local at = 4
for first = 1, #KEYS, 5 do
  local shard = shard_at(first)
  local generation = prepare(shard)
  local count = tonumber(ARGV[at])
  for i = at + 1, at + count do
    out[#out + 1] = total_of(shard, generation, ARGV[i])
  end
  at = at + count + 1
end
return out
