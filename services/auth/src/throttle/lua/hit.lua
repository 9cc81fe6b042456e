-- One hit of a fixed-window counter (guest tokens per address per minute).
-- KEYS[1]: the counter. ARGV: windowMs, limit.
-- Returns 0 while within the limit, else the ms until the window ends.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n <= tonumber(ARGV[2]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  -- A counter left without an expiry (it cannot happen through this script) must not block forever.
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return ttl
