-- Admit one more live connection of a user if it has fewer than `limit` (SPEC §2
-- MAX_CONNECTIONS_PER_USER), atomically for every instance.
-- KEYS[1] connections:{user_id}             zset "{instance_id}:{connection_id}" -> acquired at (ms)
-- KEYS[2] connection_instance:{instance_id} set  "{user_id}|{connection_id}" (what a sweep removes)
-- KEYS[3] connection_instances              zset instance_id -> last heartbeat (ms, Redis time)
-- ARGV: instance_id, connection_id ('' only counts), user_id, limit, dead after (ms)
-- Entries of instances silent for longer than `dead after`, or swept, are removed first, so a
-- crashed instance's connections stop counting; the caller's own always count.
-- Returns {1 when admitted or already registered, else 0; the user's live connections now}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local dead_before = now - tonumber(ARGV[5])
local member = ARGV[1] .. ':' .. ARGV[2]
local alive = {[ARGV[1]] = true}
local live = 0
local held = false
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local instance = string.sub(entry, 1, string.find(entry, ':', 1, true) - 1)
  if alive[instance] == nil then
    local beat = redis.call('ZSCORE', KEYS[3], instance)
    alive[instance] = beat ~= false and tonumber(beat) >= dead_before
  end
  if alive[instance] then
    live = live + 1
    if entry == member then
      held = true
    end
  else
    redis.call('ZREM', KEYS[1], entry)
  end
end
if ARGV[2] == '' then
  return {0, live}
end
if held then
  return {1, live}
end
if live >= tonumber(ARGV[4]) then
  return {0, live}
end
redis.call('ZADD', KEYS[1], now, member)
redis.call('SADD', KEYS[2], ARGV[3] .. '|' .. ARGV[2])
return {1, live + 1}
