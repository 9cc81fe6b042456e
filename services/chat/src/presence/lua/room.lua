-- The presence of one room over every chat node: O(nodes), plus O(members) for a room small
-- enough to list, whose users and guests are then counted once however many nodes see them.
-- KEYS[1]: the set of node ids.
-- ARGV[1]: a node's counts key without the node id; ARGV[2]: the room;
-- ARGV[3]: the room's member key without the node id; ARGV[4]: the member list size;
-- ARGV[5]: '1' to return the members.
-- Returns {viewers, users, guests, listed (0/1), userId, member JSON, userId, member JSON, ...}.
local viewers, users, guests = 0, 0, 0
local nodes = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local packed = redis.call('HGET', ARGV[1] .. id, ARGV[2])
  if packed then
    local v, u, g = string.match(packed, '^(%d+),(%d+),(%d+)$')
    viewers, users, guests = viewers + tonumber(v), users + tonumber(u), guests + tonumber(g)
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
