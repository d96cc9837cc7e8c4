-- Mark instance ARGV[1] as draining for ARGV[2] ms more (Redis time), as done with "0", or
-- leave it as it is with "-1". Returns how many other instances are still draining; those
-- past their time (dead mid-drain) are dropped first.
-- KEYS[1] draining
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
elseif ttl == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local others = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  others = others - 1
end
return others
