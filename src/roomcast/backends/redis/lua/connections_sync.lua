-- Make Redis hold exactly the connections this instance holds for one user: after an outage
-- (Redis restarted empty, or kept connections released meanwhile) or after the other
-- instances took this one for dead. Held ones are added whatever the limit: they are open.
-- KEYS as in connections_acquire.lua (KEYS[3] unused).
-- ARGV: instance_id, user_id, n, n held connection ids, then ids to forget (known to
-- connection_instance:{instance_id} but no longer held).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local prefix = ARGV[1] .. ':'
local owner = ARGV[2] .. '|'
local last_held = 3 + tonumber(ARGV[3])
local held = {}
for i = 4, last_held do
  held[ARGV[i]] = true
end
for i = last_held + 1, #ARGV do
  redis.call('SREM', KEYS[2], owner .. ARGV[i])
end
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(entry, 1, #prefix) == prefix then
    local connection = string.sub(entry, #prefix + 1)
    if not held[connection] then
      redis.call('ZREM', KEYS[1], entry)
      redis.call('SREM', KEYS[2], owner .. connection)
    end
  end
end
for i = 4, last_held do
  redis.call('ZADD', KEYS[1], 'NX', now, prefix .. ARGV[i])
  redis.call('SADD', KEYS[2], owner .. ARGV[i])
end
return 1
