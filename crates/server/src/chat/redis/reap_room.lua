-- KEYS: counter, members. ARGV: channel, node prefix. Returns how many
-- members are alive.
return #reap(KEYS[1], KEYS[2], ARGV[1], ARGV[2]) / 2
