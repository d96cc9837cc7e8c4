-- Live connections closed, or gone with their instance: KEYS as in presence_join.lua.
-- ARGV: instance_id, then connection ids of that instance in this room.
-- Returns a flat list user_id, username for each user whose last live connection in the
-- room went. Atomic, so when two instances sweep the same dead one, each user is reported once.
local gone = {}
for i = 2, #ARGV do
  local field = ARGV[1] .. ':' .. ARGV[i]
  local user = redis.call('HGET', KEYS[2], field)
  if user then
    redis.call('HDEL', KEYS[2], field)
    if redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then
      local name = redis.call('HGET', KEYS[1], user) or ''
      redis.call('HDEL', KEYS[3], user)
      redis.call('HDEL', KEYS[1], user)
      table.insert(gone, user)
      table.insert(gone, name)
    end
  end
end
return gone
