-- The prefix of join.lua and reap_room.lua: removes the members of nodes
-- whose key has expired, publishing a `leave` for each (its fields only:
-- the receiving nodes build the JSON), and returns the living members as
-- `name, value, ...`.
local function reap(seqkey, members, chan, prefix)
  local alive, live = {}, {}
  local all = redis.call('HGETALL', members)
  for i = 1, #all, 2 do
    local name, value = all[i], all[i + 1]
    local node = string.match(value, '^(%S+)') or ''
    if alive[node] == nil then
      alive[node] = redis.call('EXISTS', prefix .. node) == 1
    end
    if alive[node] then
      live[#live + 1] = name
      live[#live + 1] = value
    else
      redis.call('HDEL', members, name)
      local seq = redis.call('INCR', seqkey)
      redis.call('PUBLISH', chan, seq .. '\nL\n-\n\n' .. name .. '\n')
    end
  end
  return live
end
