-- Admits a model to a deployment's set of monitored models (issue 9: bounded models), shared
-- by every instance of both services, so the cap holds however many instances run.
--
-- KEYS[1] dw:models:<namespace>  (sorted set: model → wall-clock ms of its last admission)
-- ARGV: model, max models, idle ms (0: models never expire from the set)
-- Members idle longer than idle ms are removed first (the model's own keys expire after the
-- same idle time, see lib-counters.lua's refresh_idle), which frees their slots.
-- Reply: {admitted (0/1), new (0/1), members after the call}

local key, model = KEYS[1], ARGV[1]
local cap, idle_ms = tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if idle_ms > 0 then
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%d', now - idle_ms))
end
local known = redis.call('ZSCORE', key, model)
local count = redis.call('ZCARD', key)
if not known and count >= cap then return {0, 0, count} end
redis.call('ZADD', key, string.format('%d', now), model)
if idle_ms > 0 then redis.call('PEXPIRE', key, idle_ms) end
if known then return {1, 0, count} end
return {1, 1, count + 1}
