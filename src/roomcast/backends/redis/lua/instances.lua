-- Instances by their last heartbeat (Redis time, ms).
-- KEYS[1] presence:instances or connection_instances (zset instance_id -> last heartbeat)
-- ARGV[1] dead after (ms)   ARGV[2] "dead": at most 16 silent for longer; "live": all the others
-- Returns {now, instance_id, ...}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local edge = now - tonumber(ARGV[1])
local found
if ARGV[2] == 'dead' then
  found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. edge, 'LIMIT', 0, 16)
else
  found = redis.call('ZRANGEBYSCORE', KEYS[1], edge, '+inf')
end
table.insert(found, 1, now)
return found
