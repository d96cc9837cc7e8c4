-- A room's recent cache, read in one step so that `as_of` and the entries agree.
-- KEYS[1] room_messages:{room_id}   KEYS[2] room_messages_seq:{room_id}
-- Returns {as_of or false, member, score, member, score, ...} in seq order.
local answer = {redis.call('GET', KEYS[2])}
for _, value in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')) do
  table.insert(answer, value)
end
return answer
