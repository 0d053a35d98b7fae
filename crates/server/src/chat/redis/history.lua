-- The prefix of join.lua and say.lua: a room's history in Redis.
--   meta  hash   epoch, last (the last message's seq), bytes (of the kept frames)
--   hist  stream one entry per kept message, ID `seq-0`: f (frame), t (ms), i (id or '')
--   ids   hash   id -> seq, for the kept messages that had one
-- The three expire together, `ttl` ms after the last message: a room
-- left alone that long starts a new numbering, with a new epoch.

-- The room's epoch and last seq; a new numbering (epoch `candidate`) if
-- there is none.
local function numbering(meta, hist, ids, candidate, ttl)
  local epoch = redis.call('HGET', meta, 'epoch')
  if not epoch then
    redis.call('DEL', hist, ids)
    redis.call('HSET', meta, 'epoch', candidate, 'last', 0, 'bytes', 0)
    redis.call('PEXPIRE', meta, ttl)
    return candidate, 0
  end
  return epoch, tonumber(redis.call('HGET', meta, 'last'))
end

local function seq_of(entry_id)
  return tonumber(string.match(entry_id, '^(%d+)'))
end

-- Forgets the oldest kept messages while over `count`, `max_bytes` or
-- `ttl` ms of age at `now`.
local function trim(meta, hist, ids, count, ttl, max_bytes, now)
  while true do
    local oldest = redis.call('XRANGE', hist, '-', '+', 'COUNT', 1)[1]
    if not oldest then return end
    local f = oldest[2]
    local bytes = tonumber(redis.call('HGET', meta, 'bytes') or '0')
    local over = redis.call('XLEN', hist) > count or bytes > max_bytes
      or tonumber(f[4]) + ttl <= now
    if not over then return end
    redis.call('XDEL', hist, oldest[1])
    redis.call('HINCRBY', meta, 'bytes', -#f[2])
    if f[6] ~= '' and redis.call('HGET', ids, f[6]) == tostring(seq_of(oldest[1])) then
      redis.call('HDEL', ids, f[6])
    end
  end
end

local function frames_of(entries)
  local frames = {}
  for i = 1, #entries do frames[i] = entries[i][2][2] end
  return frames
end

-- What a joiner gets: {1, frames} with every message after `since` if
-- `want` is the epoch and all of them are kept; else {0, the last
-- `backlog`}.
local function catch_up(hist, epoch, last, since, want, backlog, count)
  if count > 0 and since and want == epoch and since <= last then
    local first = redis.call('XRANGE', hist, '-', '+', 'COUNT', 1)[1]
    local first_seq = first and seq_of(first[1]) or last + 1
    if since + 1 >= first_seq then
      if since == last then return 1, {} end
      return 1, frames_of(redis.call('XRANGE', hist, string.format('%d-0', since + 1), '+'))
    end
  end
  if backlog <= 0 then return 0, {} end
  local newest = redis.call('XREVRANGE', hist, '+', '-', 'COUNT', backlog)
  local frames = {}
  for i = #newest, 1, -1 do frames[#frames + 1] = newest[i][2][2] end
  return 0, frames
end
