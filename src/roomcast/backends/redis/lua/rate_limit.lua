-- Sliding-window log: one sorted-set member per accepted send, scored by Redis time (ms).
-- KEYS[1] rate_limit:{key}   ARGV[1] limit   ARGV[2] window (ms)   ARGV[3] token for this send
-- Returns {allowed (0|1), sends in the window, ms until one more send would be accepted}.
-- A refused attempt writes nothing, so it does not count.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local edge = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return {0, count, tonumber(edge[2]) + window - now}
end

redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
count = count + 1
local wait = 0
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = tonumber(oldest[2]) + window - now
end
return {1, count, wait}
