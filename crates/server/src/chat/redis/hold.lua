-- KEYS: members. ARGV: keep ms, then (name, holder, joined, identified)
-- for each connection of this node in the room: writes back the holders
-- Redis does not have (after a Redis restart, or for a connection that
-- joined while Redis was away), silently, with no `join`. A name held by
-- another member is left alone unless this one is identified (then it is
-- the same member). Returns 1 for each holder added, 0 otherwise.
local added = {}
for i = 2, #ARGV, 4 do
  local name, holder = ARGV[i], ARGV[i + 1]
  local entry = redis.call('HGET', KEYS[1], name)
  local add = 0
  if not entry then
    redis.call('HSET', KEYS[1], name, ARGV[i + 2] .. ' ' .. holder)
    add = 1
  elseif ARGV[i + 3] == '1' then
    local _, holders = holders_of(entry)
    local present = false
    for _, h in ipairs(holders) do
      if h == holder then present = true end
    end
    if not present then
      redis.call('HSET', KEYS[1], name, entry .. ' ' .. holder)
      add = 1
    end
  end
  added[#added + 1] = add
end
if #added > 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1])) end
return added
