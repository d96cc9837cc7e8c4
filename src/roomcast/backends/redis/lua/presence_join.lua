-- One more live connection of a user in a room, owned by an instance. The caller has already
-- added "{room_id}|{connection_id}" to presence:instance:{instance_id} (another slot), so a
-- sweep finds this connection if the instance dies.
-- KEYS[1] presence:{room_id}              hash user_id -> username (who is online)
-- KEYS[2] presence:{room_id}:connections  hash "{instance_id}:{connection_id}" -> user_id
-- KEYS[3] presence:{room_id}:counts       hash user_id -> live connections
-- ARGV: instance_id, connection_id, user_id, username
-- Returns 1 when this is the user's first live connection in the room.
if redis.call('HSETNX', KEYS[2], ARGV[1] .. ':' .. ARGV[2], ARGV[3]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
if redis.call('HINCRBY', KEYS[3], ARGV[3], 1) == 1 then
  return 1
end
return 0
