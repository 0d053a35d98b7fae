-- KEYS: counter, members, meta, hist, ids. ARGV: channel, node prefix,
-- node, member id, epoch candidate, since ('' for none), epoch asked for,
-- backlog, count, ttl ms, max bytes, now ms, then (name, `join` event)
-- pairs: claims the first free name, publishes its event, and returns
-- {name, seq, living members, epoch, last message seq, recovered (0/1),
-- frames}; false if every name is taken. The history is read in the
-- same atomic step as the `join` is numbered: every later message comes
-- after the `join` on the channel, every earlier one is in the frames.
local live = reap(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
for i = 13, #ARGV, 2 do
  local name = ARGV[i]
  if redis.call('HEXISTS', KEYS[2], name) == 0 then
    local seq = redis.call('INCR', KEYS[1])
    redis.call('HSET', KEYS[2], name, ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. seq)
    redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[i + 1])
    local count, ttl = tonumber(ARGV[9]), tonumber(ARGV[10])
    trim(KEYS[3], KEYS[4], KEYS[5], count, ttl, tonumber(ARGV[11]), tonumber(ARGV[12]))
    local epoch, last = numbering(KEYS[3], KEYS[4], KEYS[5], ARGV[5], ttl)
    local since = nil
    if ARGV[6] ~= '' then since = tonumber(ARGV[6]) end
    local recovered, frames =
      catch_up(KEYS[4], epoch, last, since, ARGV[7], math.min(tonumber(ARGV[8]), count), count)
    return {name, seq, live, epoch, last, recovered, frames}
  end
end
return false
