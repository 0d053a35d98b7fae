-- KEYS: counter, members. ARGV: channel, name, holder (`node:conn`),
-- event ('' for none). Removes the holder from the member's entry. If it
-- was the member's last connection anywhere, removes the entry, publishes
-- the event if there is one, and returns its number; -1 if the member
-- still has other connections (nothing published); 0 if the holder was
-- not there. Deletes the counter once the room is empty everywhere.
local entry = redis.call('HGET', KEYS[2], ARGV[2])
if not entry then return 0 end
local seq, holders = holders_of(entry)
local kept, found = {}, false
for _, holder in ipairs(holders) do
  if holder == ARGV[3] then found = true else kept[#kept + 1] = holder end
end
if not found then return 0 end
if #kept > 0 then
  redis.call('HSET', KEYS[2], ARGV[2], seq .. ' ' .. table.concat(kept, ' '))
  return -1
end
redis.call('HDEL', KEYS[2], ARGV[2])
local n = 0
if ARGV[4] ~= '' then
  n = redis.call('INCR', KEYS[1])
  redis.call('PUBLISH', ARGV[1], n .. '\n' .. ARGV[4])
end
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return n
