-- KEYS: counter, members. ARGV: channel, node prefix, node, member id,
-- then (name, `join` event) pairs: claims the first free name, publishes
-- its event, and returns {name, seq, living members}; false if every
-- name is taken.
local live = reap(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
for i = 5, #ARGV, 2 do
  local name = ARGV[i]
  if redis.call('HEXISTS', KEYS[2], name) == 0 then
    local seq = redis.call('INCR', KEYS[1])
    redis.call('HSET', KEYS[2], name, ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. seq)
    redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[i + 1])
    return {name, seq, live}
  end
end
return false
