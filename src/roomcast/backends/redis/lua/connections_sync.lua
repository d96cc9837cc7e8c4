-- Make Redis hold exactly the connections this instance holds for one user: after an outage
-- (Redis restarted empty, or kept connections released meanwhile) or after the other
-- instances took this one for dead. Held ones are added whatever the limit: they are open.
-- KEYS[1] connections:{user_id}   ARGV: instance_id, then the connection ids it holds.
-- (The caller updates connection_instance:{instance_id}, another slot, itself.)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local prefix = ARGV[1] .. ':'
local held = {}
for i = 2, #ARGV do
  held[ARGV[i]] = true
end
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(entry, 1, #prefix) == prefix and not held[string.sub(entry, #prefix + 1)] then
    redis.call('ZREM', KEYS[1], entry)
  end
end
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'NX', now, prefix .. ARGV[i])
end
return 1
