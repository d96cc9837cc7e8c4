-- Append messages to a room's recent cache, keep the newest ARGV[1] by seq, refresh the TTL.
-- KEYS[1] room_messages:{room_id}   ARGV[1] size   ARGV[2] ttl (s)   ARGV[3..] seq, json, seq, json...
-- ARGV[1] = 0 keeps as many entries as this call brings (a rebuild from the database).
local size = tonumber(ARGV[1])
if size == 0 then
  size = (#ARGV - 2) / 2
end
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(size + 1))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
