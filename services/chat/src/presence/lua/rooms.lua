-- Every active room's counts summed over the chat nodes: a summary rebuilt (three ZUNIONSTOREs)
-- when it has expired, so at most once per TTL by whichever node asks first, then read.
-- Builds key names from node ids (ChatOrbit runs on one Redis master, not Redis Cluster).
-- KEYS[1]: the set of node ids; KEYS[2], KEYS[3], KEYS[4]: the summary's sorted sets of viewers
-- (negated: most viewers first, then by name), users and guests.
-- ARGV[1]: presenceNodePrefix; ARGV[2]: the summary's TTL in ms;
-- ARGV[3]: 'page' (ARGV[4] offset, ARGV[5] limit) → {total, room, viewers, users, guests, ...}
--       or 'viewers' (ARGV[4..] rooms) → {-viewers or nil, ...} in the order asked.
if redis.call('EXISTS', KEYS[2]) == 0 then
  local live = {}
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    local key = ARGV[1] .. id .. ':'
    if redis.call('EXISTS', key .. 'viewers') == 1 then
      live[#live + 1] = key
    else
      -- Its counts expired (a dead node) or it has no room; a live node adds itself back.
      redis.call('SREM', KEYS[1], id)
    end
  end
  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
  if #live > 0 then
    -- ZUNIONSTORE dest n key1 … keyn [WEIGHTS w1 … wn]
    local function union(dest, kind, weight)
      local args = {dest, #live}
      for _, key in ipairs(live) do args[#args + 1] = key .. kind end
      args[#args + 1] = 'WEIGHTS'
      for _ = 1, #live do args[#args + 1] = weight end
      redis.call('ZUNIONSTORE', unpack(args))
      redis.call('PEXPIRE', dest, ARGV[2])
    end
    union(KEYS[2], 'viewers', -1)
    union(KEYS[3], 'users', 1)
    union(KEYS[4], 'guests', 1)
  end
end

if ARGV[3] == 'page' then
  local offset = tonumber(ARGV[4])
  local page = redis.call('ZRANGE', KEYS[2], offset, offset + tonumber(ARGV[5]) - 1, 'WITHSCORES')
  local result = {redis.call('ZCARD', KEYS[2])}
  if #page > 0 then
    local rooms = {}
    for i = 1, #page, 2 do rooms[#rooms + 1] = page[i] end
    local users = redis.call('ZMSCORE', KEYS[3], unpack(rooms))
    local guests = redis.call('ZMSCORE', KEYS[4], unpack(rooms))
    for i, room in ipairs(rooms) do
      result[#result + 1] = room
      result[#result + 1] = -tonumber(page[2 * i])
      result[#result + 1] = tonumber(users[i] or 0)
      result[#result + 1] = tonumber(guests[i] or 0)
    end
  end
  return result
end

local CHUNK = 500
local result = {}
for first = 4, #ARGV, CHUNK do
  local scores = redis.call('ZMSCORE', KEYS[2], unpack(ARGV, first, math.min(first + CHUNK - 1, #ARGV)))
  for i = 1, math.min(CHUNK, #ARGV - first + 1) do result[#result + 1] = scores[i] end
end
return result
