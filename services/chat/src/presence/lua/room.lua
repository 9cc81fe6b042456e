-- The presence of one room over every chat node: O(nodes), plus O(members) for a room small
-- enough to list, whose users and guests are then counted once however many nodes see them.
-- Builds key names from node ids (ChatOrbit runs on one Redis master, not Redis Cluster).
-- KEYS[1]: the set of node ids.
-- ARGV[1]: presenceNodePrefix; ARGV[2]: the room; ARGV[3]: the room's member key without the
-- node id; ARGV[4]: the member list size; ARGV[5]: '1' to return the members.
-- Returns {viewers, users, guests, listed (0/1), userId, member JSON, userId, member JSON, ...}.
local room = ARGV[2]
local viewers, users, guests = 0, 0, 0
local nodes = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. id .. ':'
  local v = redis.call('ZSCORE', key .. 'viewers', room)
  if v then
    viewers = viewers + tonumber(v)
    users = users + tonumber(redis.call('ZSCORE', key .. 'users', room) or 0)
    guests = guests + tonumber(redis.call('ZSCORE', key .. 'guests', room) or 0)
    nodes[#nodes + 1] = id
  end
end
if viewers > tonumber(ARGV[4]) then return {viewers, users, guests, 0} end

-- Every node with members here has at most the list size of them: each keeps its member hash.
local result = {viewers, 0, 0, 1}
local seen = {}
for _, id in ipairs(nodes) do
  local flat = redis.call('HGETALL', ARGV[3] .. id)
  for i = 1, #flat, 2 do
    local userId, member = flat[i], flat[i + 1]
    if not seen[userId] then
      seen[userId] = true
      if cjson.decode(member).guest then result[3] = result[3] + 1 else result[2] = result[2] + 1 end
      if ARGV[5] == '1' then
        result[#result + 1] = userId
        result[#result + 1] = member
      end
    end
  end
end
return result
