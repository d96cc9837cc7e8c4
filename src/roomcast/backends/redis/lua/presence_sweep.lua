-- Remove every connection of instances whose heartbeat is older than ARGV[1] ms, or of the
-- instance ARGV[2] when ARGV[3] is "1" (an instance clearing its own entries before it
-- re-registers after an outage). Atomic, so exactly one caller learns who left.
-- KEYS[1] presence:instances   ARGV[1] dead after (ms)   ARGV[2] instance_id   ARGV[3] "1" | "0"
-- Returns a flat list: room_id, user_id, username for each user whose last connection went.
-- Touches keys derived from the stored names: standalone Redis (or one hash slot) only.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local targets
if ARGV[3] == '1' then
  targets = {ARGV[2]}
else
  targets = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, 16)
end
local gone = {}
for _, instance in ipairs(targets) do
  if ARGV[3] == '1' or instance ~= ARGV[2] then
    local owned = 'presence:instance:' .. instance
    for _, entry in ipairs(redis.call('SMEMBERS', owned)) do
      local bar = string.find(entry, '|', 1, true)
      local room = string.sub(entry, 1, bar - 1)
      local connection = string.sub(entry, bar + 1)
      local base = 'presence:' .. room
      local user = redis.call('HGET', base .. ':connections', instance .. ':' .. connection)
      if user then
        redis.call('HDEL', base .. ':connections', instance .. ':' .. connection)
        if redis.call('HINCRBY', base .. ':counts', user, -1) <= 0 then
          local name = redis.call('HGET', base, user) or ''
          redis.call('HDEL', base .. ':counts', user)
          redis.call('HDEL', base, user)
          table.insert(gone, room)
          table.insert(gone, user)
          table.insert(gone, name)
        end
      end
    end
    redis.call('DEL', owned)
    redis.call('ZREM', KEYS[1], instance)
  end
end
return gone
