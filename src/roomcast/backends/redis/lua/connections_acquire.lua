-- Admit one more live connection of a user if it has fewer than `limit` (SPEC §2
-- MAX_CONNECTIONS_PER_USER), atomically for every instance.
-- KEYS[1] connections:{user_id}   zset "{instance_id}:{connection_id}" -> acquired at (ms)
-- ARGV: instance_id, connection_id ('' only counts), limit, view time (ms, Redis time), then
-- the instances alive at the view time (instances.lua "live").
-- An entry counts when its instance is the caller or alive in the view. Any other entry
-- older than the view belongs to an instance dead or swept by then: it is removed. An entry
-- newer than the view (an instance that started since) counts, and the answer says the view
-- is stale, so that the caller refreshes it and asks again before refusing.
-- Returns {1 when admitted or already registered, else 0; the user's live connections now;
-- 1 when the view missed an instance}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local view = tonumber(ARGV[4])
local member = ARGV[1] .. ':' .. ARGV[2]
local alive = {[ARGV[1]] = true}
for i = 5, #ARGV do
  alive[ARGV[i]] = true
end
local live, held, stale = 0, false, 0
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local entry = entries[i]
  local instance = string.sub(entry, 1, string.find(entry, ':', 1, true) - 1)
  if alive[instance] then
    live = live + 1
    held = held or entry == member
  elseif tonumber(entries[i + 1]) < view then
    redis.call('ZREM', KEYS[1], entry)
  else
    live = live + 1
    stale = 1
  end
end
if ARGV[2] == '' or held then
  return {held and 1 or 0, live, stale}
end
if live >= tonumber(ARGV[3]) then
  return {0, live, stale}
end
redis.call('ZADD', KEYS[1], now, member)
return {1, live + 1, stale}
