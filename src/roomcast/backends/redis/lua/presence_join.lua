-- One more live connection of a user in a room, owned by an instance.
-- KEYS[1] presence:{room_id}              hash user_id -> username (who is online)
-- KEYS[2] presence:{room_id}:connections  hash "{instance_id}:{connection_id}" -> user_id
-- KEYS[3] presence:{room_id}:counts       hash user_id -> live connections
-- KEYS[4] presence:instance:{instance_id} set  "{room_id}|{connection_id}" (what a sweep removes)
-- KEYS[5] presence:instances              zset instance_id -> last heartbeat (ms, Redis time)
-- ARGV: instance_id, connection_id, user_id, username, room_id
-- Returns 1 when this is the user's first live connection in the room.
local field = ARGV[1] .. ':' .. ARGV[2]
if redis.call('HSETNX', KEYS[2], field, ARGV[3]) == 0 then
  return 0
end
redis.call('SADD', KEYS[4], ARGV[5] .. '|' .. ARGV[2])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
local time = redis.call('TIME')
redis.call('ZADD', KEYS[5], tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), ARGV[1])
if redis.call('HINCRBY', KEYS[3], ARGV[3], 1) == 1 then
  return 1
end
return 0
