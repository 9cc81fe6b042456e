-- Accepts one chat message in one round trip, atomically per room: saving it to the room's
-- recent history, queueing it for MongoDB and publishing it happen together or not at all, so
-- every message a client saw is in the history and on its way to the durable log.
--
-- KEYS[1] the room's seq counter        KEYS[2] the room's recent-history stream
-- KEYS[3] the persistence stream        KEYS[4] the room's pub/sub channel
-- KEYS[5] the idempotency key of (room, user, nonce)
-- ARGV[1] message id                    ARGV[2] the message JSON after its seq: `,"id":…}`
-- ARGV[3] the bus envelope up to the message: `{"v":1,…,"message":`
-- ARGV[4] recent-history bound (entries) ARGV[5] idempotency window (seconds)
--
-- Returns {seq, id, duplicate}: duplicate = 1 when this (user, nonce) was accepted before
-- within the window; then nothing is written and the first send's id and seq come back.

local prior = redis.call('GET', KEYS[5])
if prior then
  local sep = string.find(prior, ':', 1, true)
  return { tonumber(string.sub(prior, 1, sep - 1)), string.sub(prior, sep + 1), 1 }
end

-- Checks that refuse a message (bans, rate limits, slow mode) belong here, before the seq is
-- allocated: a refused message then leaves no gap in the room's seqs.

local seq = redis.call('INCR', KEYS[1])
local message = '{"seq":' .. seq .. ARGV[2]
-- Entry id <seq>-0: a room's history can be read by seq with XRANGE, no index needed.
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'm', message)
redis.call('XADD', KEYS[3], '*', 'm', message)
redis.call('PUBLISH', KEYS[4], ARGV[3] .. message .. '}')
redis.call('SET', KEYS[5], seq .. ':' .. ARGV[1], 'EX', ARGV[5])
return { seq, ARGV[1], 0 }
