-- Accepts one chat message in one round trip, atomically per room: saving it to the room's
-- recent history, queueing it for MongoDB and publishing it happen together or not at all, so
-- every message a client saw is in the history and on its way to the durable log.
--
-- KEYS[1] the room's seq counter        KEYS[2] the room's recent-history stream
-- KEYS[3] the persistence stream        KEYS[4] the room's pub/sub channel
-- KEYS[5] the idempotency key of (room, user, nonce)
-- KEYS[6] the user's ban from the room  KEYS[7] the user's global ban
-- KEYS[8] the room's rate limit (hash)  KEYS[9] the default rate limit (hash)
-- KEYS[10] the room's roles (hash)      KEYS[11] the user's rate-limit state in the room
-- KEYS[12] the room's settings (hash)   KEYS[13] the user's slow-mode wait in the room
-- KEYS[14] the set of deactivated accounts
-- ARGV[1] message id                    ARGV[2] the message JSON after its seq: `,"id":…}`
-- ARGV[3] the bus envelope up to the message: `{"v":1,…,"message":`
-- ARGV[4] recent-history bound (entries) ARGV[5] idempotency window (seconds)
-- ARGV[6] user id                       ARGV[7] '1' when the user is an admin (no checks)
-- ARGV[8..10] the configured rate limit: messages, per seconds, exempt roles ("moderator,vip")
--
-- Returns {seq, id, duplicate}: duplicate = 1 when this (user, nonce) was accepted before
-- within the window; then nothing is written and the first send's id and seq come back.
-- A refused message returns {0, 'banned', <ban JSON>}, {0, 'slow_mode', <retry after ms>},
-- {0, 'rate_limited', <retry after ms>} or {0, 'deactivated', ''}.

local prior = redis.call('GET', KEYS[5])
if prior then
  local sep = string.find(prior, ':', 1, true)
  return { tonumber(string.sub(prior, 1, sep - 1)), string.sub(prior, sep + 1), 1 }
end

-- Checks that refuse a message come before the seq is allocated: a refused message leaves no gap
-- in the room's seqs, and consumes no rate.
-- A deactivated account is refused even as an admin: its socket may have missed the event.
if redis.call('SISMEMBER', KEYS[14], ARGV[6]) == 1 then
  return { 0, 'deactivated', '' }
end

if ARGV[7] ~= '1' then
  local ban = redis.call('GET', KEYS[7]) or redis.call('GET', KEYS[6])
  if ban then
    return { 0, 'banned', ban }
  end

  local role = redis.call('HGET', KEYS[10], ARGV[6])
  if role == 'owner' then
    role = 'moderator'
  end

  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

  -- Slow mode: one message per slowModeSec per user; moderators are exempt. Automatic slow mode
  -- sets slowModeUntil, after which it no longer applies.
  local slowSettings = redis.call('HMGET', KEYS[12], 'slowModeSec', 'slowModeUntil')
  local slow = tonumber(slowSettings[1] or '0')
  local slowUntil = tonumber(slowSettings[2] or '0')
  if slowUntil > 0 and now >= slowUntil then
    slow = 0
  end
  local slowed = slow > 0 and role ~= 'moderator'
  if slowed then
    local wait = redis.call('PTTL', KEYS[13])
    if wait > 0 then
      return { 0, 'slow_mode', wait }
    end
  end

  local limit = redis.call('HMGET', KEYS[8], 'messages', 'perSec', 'exempt')
  if not limit[1] then
    limit = redis.call('HMGET', KEYS[9], 'messages', 'perSec', 'exempt')
  end
  local messages = tonumber(limit[1] or ARGV[8])
  local perSec = tonumber(limit[2] or ARGV[9])
  local exempt = ',' .. (limit[1] and (limit[3] or '') or ARGV[10]) .. ','
  local isExempt = role and string.find(exempt, ',' .. role .. ',', 1, true)
  if messages > 0 and not isExempt then
    -- GCRA: `messages` per `perSec`, a burst of `messages` at most. The state is the theoretical
    -- arrival time of the next message; it expires once it is in the past.
    local period = perSec * 1000
    local tat = tonumber(redis.call('GET', KEYS[11]) or now)
    if tat < now then
      tat = now
    end
    local nextTat = tat + period / messages
    local allowAt = nextTat - period
    if now < allowAt then
      return { 0, 'rate_limited', math.ceil(allowAt - now) }
    end
    redis.call('SET', KEYS[11], string.format('%.3f', nextTat), 'PX', math.ceil(nextTat - now))
  end
  if slowed then
    redis.call('SET', KEYS[13], '1', 'PX', slow * 1000)
  end
end

local seq = redis.call('INCR', KEYS[1])
local message = '{"seq":' .. seq .. ARGV[2]
-- Entry id <seq>-0: a room's history can be read by seq with XRANGE, no index needed.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'm', message)
redis.call('XADD', KEYS[3], '*', 'm', message)
redis.call('PUBLISH', KEYS[4], ARGV[3] .. message .. '}')
redis.call('SET', KEYS[5], seq .. ':' .. ARGV[1], 'EX', ARGV[5])
return { seq, ARGV[1], 0 }
