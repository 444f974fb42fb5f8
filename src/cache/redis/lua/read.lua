-- Reads the counts of some posts of one shard. After the prelude's KEYS and ARGV: ARGV[4..]: post ids.
-- Returns one entry per post id, as the prelude's total_of gives it.
local out = {}
for i = 4, #ARGV do
  out[#out + 1] = total_of(ARGV[i])
end
return out
