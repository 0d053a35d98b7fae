-- The prefix of join.lua and reap_room.lua. A presence entry is
-- `seq holder holder ...`: the member's `join` number, then one
-- `node:conn` per connection it has (an identified member, a token's
-- `sub`, may have several, on several nodes). Removes the holders of nodes
-- whose key has expired; a member left with none is removed and a `leave`
-- is published for it (its fields only: the receiving nodes build the
-- JSON). Returns the living members as `name, entry, ...`, and keeps the
-- room's presence for `keep` ms more (a room whose every node died is
-- forgotten then, not kept forever).
local function holders_of(entry)
  local seq, rest = string.match(entry, '^(%S+)(.*)$')
  local holders = {}
  for holder in string.gmatch(rest or '', '%S+') do holders[#holders + 1] = holder end
  return seq or '0', holders
end

local function keep_room(seqkey, members, keep)
  redis.call('PEXPIRE', members, keep)
  redis.call('PEXPIRE', seqkey, keep)
end

local function reap(seqkey, members, chan, prefix, keep)
  local alive, live = {}, {}
  local all = redis.call('HGETALL', members)
  for i = 1, #all, 2 do
    local name, entry = all[i], all[i + 1]
    local seq, holders = holders_of(entry)
    local kept = {}
    for _, holder in ipairs(holders) do
      local node = string.match(holder, '^([^:]*)') or ''
      if alive[node] == nil then
        alive[node] = redis.call('EXISTS', prefix .. node) == 1
      end
      if alive[node] then kept[#kept + 1] = holder end
    end
    if #kept == 0 then
      redis.call('HDEL', members, name)
      local n = redis.call('INCR', seqkey)
      redis.call('PUBLISH', chan, n .. '\nL\n-\n\n' .. name .. '\n')
    else
      if #kept < #holders then
        entry = seq .. ' ' .. table.concat(kept, ' ')
        redis.call('HSET', members, name, entry)
      end
      live[#live + 1] = name
      live[#live + 1] = entry
    end
  end
  if #live > 0 then keep_room(seqkey, members, keep) end
  return live
end
