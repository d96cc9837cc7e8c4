-- Drop instance ARGV[1] from KEYS[1] (zset instance_id -> last heartbeat) once its entries
-- are swept: only if it is still silent for ARGV[2] ms (Redis time), so an instance that
-- came back meanwhile stays; ARGV[2] = 0 drops it in any case (it is closing).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local dead_after = tonumber(ARGV[2])
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if beat and (dead_after == 0 or tonumber(beat) < now - dead_after) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
