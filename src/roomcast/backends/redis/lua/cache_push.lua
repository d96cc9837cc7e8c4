-- Store messages in a room's recent cache, newest version per seq, keep the ARGV[1] highest seqs.
-- KEYS[1] room_messages:{room_id} (sorted set: member "<version>|<json>", score seq)
-- KEYS[2] room_messages_seq:{room_id} (the room event up to which the cache is complete)
-- ARGV[1] size (0: keep as many entries as this call brings)  ARGV[2] ttl (s)
-- ARGV[3] mode: "push" or "replace"   ARGV[4] first seq (push) or as_of (replace)   ARGV[5] last seq
-- ARGV[6..] seq, version, json, seq, version, json ...
local size = tonumber(ARGV[1])
if size == 0 then
  size = (#ARGV - 5) / 3
end
for i = 6, #ARGV, 3 do
  local seq, version = ARGV[i], tonumber(ARGV[i + 1])
  local keep = true
  for _, held in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], seq, seq)) do
    local held_version = tonumber(string.match(held, '^(%d+)|'))
    if held_version ~= nil and held_version > version then
      keep = false
    else
      redis.call('ZREM', KEYS[1], held)
    end
  end
  if keep then
    redis.call('ZADD', KEYS[1], seq, ARGV[i + 1] .. '|' .. ARGV[i + 2])
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(size + 1))
local as_of = tonumber(redis.call('GET', KEYS[2]) or '0')
local first, last = tonumber(ARGV[4]), tonumber(ARGV[5])
if ARGV[3] == 'replace' then
  if first > as_of then as_of = first end
elseif first > 0 and first == as_of + 1 then
  as_of = last
end
redis.call('SET', KEYS[2], as_of, 'EX', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return as_of
