-- Commits one evaluation at window end E exactly once, fenced by the clock's `evaluated`:
-- whichever instance evaluated E first wins; a commit for an E at or before `evaluated`
-- changes nothing (its outbox entries were, or will be, published by the winner).
--
-- KEYS[1] clock:<scope>  KEYS[2] alerts:<scope>  KEYS[3] outbox:events:<scope>
-- ARGV: end, idle ms (0: no expiry), state count, (alert key, state)..., detector present (0/1), detector,
--       version detector count, (version, detector)...,
--       outbox count, framed outbox entries (framing.ts)...
--       (a version's detector is stored as `~detector|<version>`; `~detector` is the legacy
--       model-wide one)
--       (each becomes one stream entry with field `m`)
-- Reply: 1 committed, 0 fenced off.

local clock_key, alerts_key, outbox_key = KEYS[1], KEYS[2], KEYS[3]
local target = tonumber(ARGV[1])
local evaluated = tonumber(redis.call('HGET', clock_key, 'evaluated')) or 0
if target <= evaluated then return 0 end

local idle_ms = tonumber(ARGV[2])
local a = 3
local states = tonumber(ARGV[a])
if states > 0 then redis.call('HSET', alerts_key, unpack(ARGV, a + 1, a + 2 * states)) end
a = a + 2 * states + 1
if ARGV[a] == '1' then redis.call('HSET', alerts_key, '~detector', ARGV[a + 1]) end
a = a + 2
local detectors = tonumber(ARGV[a])
for i = 1, detectors do
  redis.call('HSET', alerts_key, '~detector|' .. ARGV[a + 2 * i - 1], ARGV[a + 2 * i])
end
a = a + 2 * detectors + 1
-- A stream, so publishers ack entries by id (two drainers may overlap; see types.ts).
for i = 1, tonumber(ARGV[a]) do
  redis.call('XADD', outbox_key, '*', 'm', ARGV[a + i])
end
redis.call('HSET', clock_key, 'evaluated', ARGV[1])
if idle_ms > 0 then
  for _, key in ipairs({clock_key, alerts_key, outbox_key}) do redis.call('PEXPIRE', key, idle_ms) end
end
return 1
