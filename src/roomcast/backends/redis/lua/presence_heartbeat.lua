-- The instance is alive: KEYS[1] presence:instances, ARGV[1] instance_id. Redis time, so
-- instances on hosts with different clocks agree on who is stale.
local time = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), ARGV[1])
return 1
