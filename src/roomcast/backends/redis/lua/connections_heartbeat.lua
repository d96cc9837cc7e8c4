-- The instance is alive. KEYS[1] connection_instances, ARGV[1] instance_id, ARGV[2] dead after (ms).
-- Redis time, so instances on hosts with different clocks agree on who is stale.
-- Returns 1 when the others may have taken it for dead (silent too long, swept, or never
-- seen) and dropped its connections, so that it registers them again.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[1])
if beat == false or tonumber(beat) < now - tonumber(ARGV[2]) then
  return 1
end
return 0
