-- KEYS: counter, members. ARGV: channel, name, node, member id, event
-- ('' for none). Removes the entry if it is this member's, publishes the
-- event if there is one, and returns its number (0: none published).
-- Deletes the counter once the room is empty everywhere.
local value = redis.call('HGET', KEYS[2], ARGV[2])
if not value then return 0 end
local node, id = string.match(value, '^(%S+) (%S+)')
if node ~= ARGV[3] or id ~= ARGV[4] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
local seq = 0
if ARGV[5] ~= '' then
  seq = redis.call('INCR', KEYS[1])
  redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[5])
end
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
return seq
