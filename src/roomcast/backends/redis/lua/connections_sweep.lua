-- Forget instances silent for ARGV[1] ms (other than ARGV[2], the caller), at most 16 a call,
-- or only the caller when ARGV[3] is "1" (it is closing): their connections and bookkeeping.
-- connections_acquire.lua already ignores a dead instance's entries; this reclaims the memory
-- of users who never come back.
-- KEYS[1] connection_instances. Touches keys derived from stored names: standalone Redis (or
-- one hash slot) only. User ids contain no '|', instance ids no ':'.
-- Returns the number of connections removed.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local targets
if ARGV[3] == '1' then
  targets = {ARGV[2]}
else
  targets = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, 16)
end
local removed = 0
for _, instance in ipairs(targets) do
  if ARGV[3] == '1' or instance ~= ARGV[2] then
    local owned = 'connection_instance:' .. instance
    for _, entry in ipairs(redis.call('SMEMBERS', owned)) do
      local bar = string.find(entry, '|', 1, true)
      local user = string.sub(entry, 1, bar - 1)
      removed = removed + redis.call('ZREM', 'connections:' .. user, instance .. ':' .. string.sub(entry, bar + 1))
    end
    redis.call('DEL', owned)
    redis.call('ZREM', KEYS[1], instance)
  end
end
return removed
