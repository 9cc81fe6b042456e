-- One attempt for several throttle subjects at once (a login: its account name and its address).
-- KEYS: the subjects' hashes {n = attempts counted, until = no attempt before (ms)}.
-- ARGV: now (ms), baseMs, maxMs, windowMs, then the free attempts of each key in KEYS order.
-- Returns 0 when the attempt is allowed (and counted for every key), else the ms left on the
-- longest lock (nothing counted). Counting before the password is checked is what stops a burst of
-- concurrent attempts from all passing. The keys need not share a slot: ChatOrbit runs on one
-- Redis master, not Redis Cluster.
local now = tonumber(ARGV[1])
local base = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local window = tonumber(ARGV[4])

local wait = 0
for _, key in ipairs(KEYS) do
  local untilMs = tonumber(redis.call('HGET', key, 'until') or '0')
  if untilMs - now > wait then wait = untilMs - now end
end
if wait > 0 then return wait end

for i, key in ipairs(KEYS) do
  local n = redis.call('HINCRBY', key, 'n', 1)
  local free = tonumber(ARGV[4 + i])
  local keep = window
  if n > free then
    local lock = math.floor(math.min(base * 2 ^ math.min(n - free - 1, 40), max))
    redis.call('HSET', key, 'until', now + lock)
    if lock > keep then keep = lock end
  end
  redis.call('PEXPIRE', key, keep)
end
return 0
