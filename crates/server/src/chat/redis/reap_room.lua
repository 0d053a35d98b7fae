-- KEYS: counter, members. ARGV: channel, node prefix, keep ms. Returns
-- the living members as `name, entry, ...` (a presence refresh, `who`,
-- the API's `users`).
return reap(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]))
