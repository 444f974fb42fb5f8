-- Seeds totals of one shard (after the prelude; KEYS[1..5]: the shard; ARGV[2] is the click epoch of the database
-- snapshot the totals were read in): from ARGV[4] on, five per seed: post id, the total read, the
-- generation, pending batch ('' for none) and pending delta of the ticket that the read started from.
-- A seed is kept only if, since its ticket, no drain or set-aside moved the generation and the pending
-- batch is the one it saw (or it saw none); then it is raised by the clicks the post's pending delta took
-- since. Totals held under a newer epoch refuse it; under an older one they were dropped by the prelude.
-- A total already held (another seed came first) is kept as it is.
-- Returns, per seed, the total now held, or nil if the seed was refused.
local shard = shard_at(1)
prepare(shard)
local generation = generation_of(shard)
local out = {}
local epoch = tonumber(ARGV[2])
for i = 4, #ARGV, 5 do
  local post, total, seen_generation = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local seen_batch, seen_delta = ARGV[i + 3], tonumber(ARGV[i + 4])
  local pending_batch = redis.call('HGET', KEYS[1], '__batch')
  local held_epoch = redis.call('HGET', KEYS[4], '__epoch')
  local result = false
  if seen_generation == generation and (seen_batch == '' or seen_batch == pending_batch)
      and not (held_epoch and tonumber(held_epoch) > epoch) then
    result = redis.call('HGET', KEYS[4], post)
    if result then
      result = tonumber(result)
    else
      if not held_epoch then
        redis.call('HSET', KEYS[4], '__run', run, '__epoch', ARGV[2])
      end
      local now_delta = 0
      if pending_batch then
        now_delta = tonumber(redis.call('HGET', KEYS[1], post) or '0')
      end
      result = total + now_delta - seen_delta
      redis.call('HSET', KEYS[4], post, result)
    end
  end
  out[#out + 1] = result
end
return out
