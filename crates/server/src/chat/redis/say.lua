-- KEYS: counter, members, meta, hist, ids. ARGV: channel, event head
-- (`M\nnode\n\nfrom\n`), frame before its seq, frame after it, id ('' for
-- none), epoch candidate, count, ttl ms, max bytes, now ms.
-- Returns {1, seq} for a new message, numbered, kept and published, or
-- {0, seq} if its id is already kept (nothing published).
local count, ttl, max_bytes, now =
  tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
trim(KEYS[3], KEYS[4], KEYS[5], count, ttl, max_bytes, now)
local id = ARGV[5]
if id ~= '' then
  local placed = redis.call('HGET', KEYS[5], id)
  if placed then return {0, tonumber(placed)} end
end
numbering(KEYS[3], KEYS[4], KEYS[5], ARGV[6], ttl)
local last = redis.call('HINCRBY', KEYS[3], 'last', 1)
local frame = ARGV[3] .. string.format('%d', last) .. ARGV[4]
if count > 0 then
  redis.call('XADD', KEYS[4], string.format('%d-0', last), 'f', frame, 't', ARGV[10], 'i', id)
  redis.call('HINCRBY', KEYS[3], 'bytes', #frame)
  if id ~= '' then redis.call('HSET', KEYS[5], id, last) end
  trim(KEYS[3], KEYS[4], KEYS[5], count, ttl, max_bytes, now)
end
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('PEXPIRE', KEYS[4], ttl)
redis.call('PEXPIRE', KEYS[5], ttl)
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], seq .. '\n' .. ARGV[2] .. frame)
return {1, last}
