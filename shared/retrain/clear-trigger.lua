-- Clears what a finished retrain consumed of a model's pending trigger, keeping whatever
-- arrived while it ran for the next run.
-- KEYS[1] retrain:pending  ARGV[1] firstAt the run started from  ARGV[2] seq it saw (-1:
-- everything)  ARGV[3] now ms  ARGV[4] key ttl ms
-- The kept hash forgets the alert ids the run consumed (a:<id> recorded at seq <= seen), as a
-- full clear (DEL) forgets all of them, so under alerts that keep firing during runs it does
-- not grow without bound. (A redelivery of a consumed alert, after a crash before its commit,
-- then meets the cooldown the run started, like one after a full clear.) The kept hash lives
-- a key TTL from now.
-- The kept hash is a new pending retrain: it drops the attempts count and failed incident of
-- transient failures (retry-trigger.lua), so the newer triggers get every attempt; it took a new
-- alert (a transition) to make it, so this cannot loop on its own.
-- Reply: 1 cleared, 2 kept newer triggers (due a debounce from now, or at once if one of
-- them is manual), 0 not the pending the run started from (left alone).
local pending = KEYS[1]
local function int_string(x) return string.format('%.0f', x) end
local first = redis.call('HGET', pending, 'firstAt')
if first ~= ARGV[1] then return 0 end
local seq = tonumber(redis.call('HGET', pending, 'seq'))
local seen, now = tonumber(ARGV[2]), tonumber(ARGV[3])
if seen < 0 or seen >= seq then
  redis.call('DEL', pending)
  return 1
end
local base = tonumber(redis.call('HGET', pending, 'base'))
local stored = tonumber(redis.call('HGET', pending, 'stored'))
for i = base + 1, seen do
  stored = stored - redis.call('HDEL', pending, 't:' .. i)
end
local fields = redis.call('HGETALL', pending)
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 2) == 'a:' and tonumber(fields[i + 1]) <= seen then redis.call('HDEL', pending, fields[i]) end
end
local due = now + tonumber(redis.call('HGET', pending, 'debounce'))
if tonumber(redis.call('HGET', pending, 'mi')) > seen then due = now end
redis.call('HSET', pending, 'firstAt', int_string(now), 'dueAt', int_string(due), 'base', int_string(seen), 'stored', int_string(stored))
redis.call('HDEL', pending, 'attempts', 'failed')
redis.call('PEXPIRE', pending, ARGV[4])
return 2
