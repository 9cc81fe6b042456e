-- Takes back one counted attempt of a throttle subject (it succeeded).
-- KEYS[1]: the subject's hash {n, until}. ARGV[1]: its free attempts.
-- Down to its free attempts again, the subject's lock can only have come from that attempt: gone too.
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n <= 0 then return 0 end
n = redis.call('HINCRBY', KEYS[1], 'n', -1)
if n <= tonumber(ARGV[1]) then redis.call('HDEL', KEYS[1], 'until') end
return n
