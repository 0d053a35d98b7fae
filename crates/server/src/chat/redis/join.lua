-- KEYS: counter, members, meta, hist, ids. ARGV: channel, node prefix,
-- holder (`node:conn`), keep ms, epoch candidate, since ('' for none),
-- epoch asked for, backlog, count, ttl ms, max bytes, now ms, identified
-- ('1': the one name is a token's `sub`), then (name, `join` event) pairs.
-- An identified name already present gets one more holder and no `join`
-- (another connection of the same member); otherwise claims the first
-- free name and publishes its `join`. Returns {name, since (the number
-- the joiner's events start after), living members, epoch, last message
-- seq, recovered (0/1), frames, joined (the member's `join` number)};
-- false if every name is taken. The history is read in the same atomic
-- step: every later message comes after `since` on the channel, every
-- earlier one is in the frames.
local live = reap(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[4]))
local function joined(name, since, member)
  keep_room(KEYS[1], KEYS[2], tonumber(ARGV[4]))
  local count, ttl = tonumber(ARGV[9]), tonumber(ARGV[10])
  trim(KEYS[3], KEYS[4], KEYS[5], count, ttl, tonumber(ARGV[11]), tonumber(ARGV[12]))
  local epoch, last = numbering(KEYS[3], KEYS[4], KEYS[5], ARGV[5], ttl)
  local from = nil
  if ARGV[6] ~= '' then from = tonumber(ARGV[6]) end
  local recovered, frames =
    catch_up(KEYS[4], epoch, last, from, ARGV[7], math.min(tonumber(ARGV[8]), count), count)
  return {name, since, live, epoch, last, recovered, frames, member}
end
for i = 14, #ARGV, 2 do
  local name = ARGV[i]
  local entry = redis.call('HGET', KEYS[2], name)
  if entry and ARGV[13] == '1' then
    redis.call('HSET', KEYS[2], name, entry .. ' ' .. ARGV[3])
    local since = tonumber(redis.call('GET', KEYS[1]) or '0')
    return joined(name, since, tonumber(string.match(entry, '^(%S+)')) or 0)
  end
  if not entry then
    local seq = redis.call('INCR', KEYS[1])
    redis.call('HSET', KEYS[2], name, seq .. ' ' .. ARGV[3])
    redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[i + 1])
    return joined(name, seq, seq)
  end
end
return false
