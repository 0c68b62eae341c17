-- The monitors' progress in Redis (redis-progress.ts): the epoch that tells this Redis apart
-- from one that lost its data, and per consumer group the last offset of each partition whose
-- batch was applied in full (every model of it). Both keys share the `{~progress}` hash tag
-- (no model name contains '~'), so the script runs on one Redis Cluster slot.
--
-- KEYS[1] epoch (string)   KEYS[2] the group's progress hash (`topic|partition` -> offset)
-- ARGV[1] 'open' | 'read' | 'record' | 'check'
-- open:   ARGV[2] a fresh epoch id, set when there is none.     -> {epoch, created 0/1}
-- read:   ARGV[2] the epoch the caller adopted, ARGV[3] field, ARGV[4] unused,
--         ARGV[5] what a tombstone says                -> {1, offset or false, rebuild from or false} | {0, epoch or false}
-- record: the same with ARGV[4] the offset, then from ARGV[6] (field, offset) pairs: where a
--         rebuild of the in-memory state of those topic-partitions must start (the performance
--         service's join, shared/join: both streams of the batch's partition number; none else)
--                                                               -> {1} | {0, epoch or false}
-- check:  the epoch comparison alone (the retrainer, which keeps no group record; ARGV[3] and
--         ARGV[4] unused)                                       -> {1} | {0, epoch or false}
-- read, record and check refuse when the epoch is not the adopted one: the key vanished (a restart
-- without persistence, FLUSHALL) or was replaced. Then the epoch becomes a tombstone
-- `LOST <...>`, so every instance of every service (and every restart) refuses too, until an
-- operator clears driftwatch's keys (see docs/design/monitoring.md, "Redis as the source of
-- truth for progress"). The offset only grows.

local epoch_key, progress_key = KEYS[1], KEYS[2]
local mode = ARGV[1]
local current = redis.call('GET', epoch_key)

if mode == 'open' then
  if current then return {current, 0} end
  redis.call('SET', epoch_key, ARGV[2])
  return {ARGV[2], 1}
end

if current ~= ARGV[2] then
  if not current or string.sub(current, 1, 5) ~= 'LOST ' then
    redis.call('SET', epoch_key, 'LOST ' .. ARGV[5])
  end
  return {0, current or false}
end

if mode == 'check' then return {1} end

if mode == 'read' then
  local stored = redis.call('HMGET', progress_key, ARGV[3], 'from|' .. ARGV[3])
  return {1, stored[1] or false, stored[2] or false}
end

-- The rebuild start is the latest one the subscriber computed: it moves with its state, not only up.
for i = 6, #ARGV - 1, 2 do redis.call('HSET', progress_key, 'from|' .. ARGV[i], ARGV[i + 1]) end

local recorded = redis.call('HGET', progress_key, ARGV[3])
if not recorded or tonumber(recorded) < tonumber(ARGV[4]) then
  redis.call('HSET', progress_key, ARGV[3], ARGV[4])
end
return {1}
