-- A live connection closed. KEYS as in presence_join.lua (KEYS[5] unused).
-- ARGV: instance_id, connection_id, user_id, room_id
-- Returns 1 when it was the user's last live connection in the room.
local field = ARGV[1] .. ':' .. ARGV[2]
if redis.call('HDEL', KEYS[2], field) == 0 then
  return 0
end
redis.call('SREM', KEYS[4], ARGV[4] .. '|' .. ARGV[2])
if redis.call('HINCRBY', KEYS[3], ARGV[3], -1) <= 0 then
  redis.call('HDEL', KEYS[3], ARGV[3])
  redis.call('HDEL', KEYS[1], ARGV[3])
  return 1
end
return 0
