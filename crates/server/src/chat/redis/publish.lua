-- KEYS: counter, members. ARGV: channel, direct target (or ''), event.
-- Publishes with the next number and returns it; 0 if the target is
-- nobody.
if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[3])
return seq
