-- The summary of every active room over the chat nodes: rebuilt from the nodes' counts when it
-- has expired (so at most once per TTL, by whichever node asks first), then read.
-- KEYS[1]: the set of node ids; KEYS[2]: sorted set room → -viewers (most viewers first, then by
-- name); KEYS[3]: hash room → "viewers,users,guests".
-- ARGV[1]: a node's counts key without the node id; ARGV[2]: the summary's TTL in ms;
-- ARGV[3]: 'page' (ARGV[4] offset, ARGV[5] limit) → {total, room, counts, room, counts, ...}
--       or 'rooms' (ARGV[4..] rooms) → {counts or nil, ...} in the order asked.
local CHUNK = 500

if redis.call('EXISTS', KEYS[3]) == 0 then
  local totals, names = {}, {}
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    local flat = redis.call('HGETALL', ARGV[1] .. id)
    -- No counts: the node died (its key expired) or has no rooms; a live one adds itself back.
    if #flat == 0 then redis.call('SREM', KEYS[1], id) end
    for i = 1, #flat, 2 do
      local room = flat[i]
      local v, u, g = string.match(flat[i + 1], '^(%d+),(%d+),(%d+)$')
      local t = totals[room]
      if not t then
        t = {0, 0, 0}
        totals[room] = t
        names[#names + 1] = room
      end
      t[1], t[2], t[3] = t[1] + tonumber(v), t[2] + tonumber(u), t[3] + tonumber(g)
    end
  end
  redis.call('DEL', KEYS[2])
  for first = 1, #names, CHUNK do
    local scores, counts = {}, {}
    for i = first, math.min(first + CHUNK - 1, #names) do
      local room, t = names[i], totals[names[i]]
      scores[#scores + 1] = -t[1]
      scores[#scores + 1] = room
      counts[#counts + 1] = room
      counts[#counts + 1] = t[1] .. ',' .. t[2] .. ',' .. t[3]
    end
    redis.call('ZADD', KEYS[2], unpack(scores))
    redis.call('HSET', KEYS[3], unpack(counts))
  end
  if #names > 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    redis.call('PEXPIRE', KEYS[3], ARGV[2])
  end
end

if ARGV[3] == 'page' then
  local offset = tonumber(ARGV[4])
  local rooms = redis.call('ZRANGE', KEYS[2], offset, offset + tonumber(ARGV[5]) - 1)
  local result = {redis.call('ZCARD', KEYS[2])}
  if #rooms > 0 then
    local counts = redis.call('HMGET', KEYS[3], unpack(rooms))
    for i, room in ipairs(rooms) do
      result[#result + 1] = room
      result[#result + 1] = counts[i]
    end
  end
  return result
end

local result = {}
for first = 4, #ARGV, CHUNK do
  local counts = redis.call('HMGET', KEYS[3], unpack(ARGV, first, math.min(first + CHUNK - 1, #ARGV)))
  for _, c in ipairs(counts) do result[#result + 1] = c end
end
return result
