-- Reads the counts of some posts of one or more shards (after the prelude). KEYS: five per shard (see the
-- prelude). From ARGV[4] on, per shard in the order of KEYS: how many posts, then their ids. On one server a
-- list page's shards are read in one call; on a cluster a call holds one shard (its keys share a slot).
-- Returns one entry per post id, in the order given, as the prelude's total_of gives it.
--
-- A shard whose totals hash holds every post asked for, under this Redis process and a click epoch no older
-- than the caller's, is answered from one HMGET: those are the very totals `prepare` would keep and
-- `total_of` return. Its housekeeping (setting aside a pending hash of another process, a generation for a
-- shard without one) is left to the next call that writes or seeds, which does it first.
local out = {}
local at = 4
for first = 1, #KEYS, 5 do
  local count = tonumber(ARGV[at])
  local held = redis.call('HMGET', KEYS[first + 3], '__run', '__epoch', unpack(ARGV, at + 1, at + count))
  local all_held = totals_current(held[1], held[2])
  for i = 3, count + 2 do
    all_held = all_held and held[i]
  end
  if all_held then
    for i = 3, count + 2 do
      out[#out + 1] = {tonumber(held[i])}
    end
  else
    local shard = shard_at(first)
    prepare(shard)
    for i = at + 1, at + count do
      out[#out + 1] = total_of(shard, ARGV[i])
    end
  end
  at = at + count + 1
end
return out
