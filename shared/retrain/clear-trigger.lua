-- Clears what a finished retrain consumed of a model's pending trigger, keeping whatever
-- arrived while it ran for the next run.
-- KEYS[1] retrain:pending  ARGV[1] firstAt the run started from  ARGV[2] seq it saw (-1:
-- everything)  ARGV[3] now ms
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
local due = now + tonumber(redis.call('HGET', pending, 'debounce'))
if tonumber(redis.call('HGET', pending, 'mi')) > seen then due = now end
redis.call('HSET', pending, 'firstAt', int_string(now), 'dueAt', int_string(due), 'base', int_string(seen), 'stored', int_string(stored))
return 2
