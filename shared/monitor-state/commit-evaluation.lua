-- Commits evaluations at window ends E exactly once, fenced by the clock's `evaluated`:
-- whichever instance evaluated E first wins; a commit for an E at or before `evaluated`
-- changes nothing (its outbox entries were, or will be, published by the winner).
-- Several evaluations in one call (EvaluationState.commitEvaluations, issue 8), in order, each
-- fenced as if committed alone: the evaluations of the k ends one advance call returned cost
-- one round trip.
--
-- KEYS[1] clock:<scope>  KEYS[2] alerts:<scope>  KEYS[3] outbox:events:<scope>
-- ARGV: commit count, per commit:
--       end, idle ms (0: no expiry), state count, (alert key, state)..., detector present (0/1), detector,
--       version detector count, (version, detector)...,
--       outbox count, framed outbox entries (framing.ts)...
--       (a version's detector is stored as `~detector|<version>`; `~detector` is the legacy
--       model-wide one)
--       (each becomes one stream entry with field `m`)
-- Reply: per commit 1 committed, 0 fenced off.

local clock_key, alerts_key, outbox_key = KEYS[1], KEYS[2], KEYS[3]

-- Where each commit's parts are in ARGV, checked before anything is written.
local commits = {}
local a = 2
for c = 1, tonumber(ARGV[1]) do
  local commit = {target = ARGV[a], idle_ms = tonumber(ARGV[a + 1]), states = a + 3, state_count = tonumber(ARGV[a + 2])}
  a = a + 3 + 2 * commit.state_count
  commit.detector = a
  a = a + 2
  commit.detectors, commit.detector_count = a + 1, tonumber(ARGV[a])
  a = a + 1 + 2 * commit.detector_count
  commit.entries, commit.entry_count = a + 1, tonumber(ARGV[a])
  a = a + 1 + commit.entry_count
  commits[c] = commit
end
if a ~= #ARGV + 1 then error('commit-evaluation: expected ' .. (a - 1) .. ' arguments, got ' .. #ARGV) end

local evaluated = tonumber(redis.call('HGET', clock_key, 'evaluated')) or 0
local reply = {}
-- The expiry the last committing call with one would have left (one call per commit each
-- refreshed the keys; the last refresh is what stays).
local idle_ms = 0
for c, commit in ipairs(commits) do
  local target = tonumber(commit.target)
  if target <= evaluated then
    reply[c] = 0
  else
    if commit.state_count > 0 then redis.call('HSET', alerts_key, unpack(ARGV, commit.states, commit.states + 2 * commit.state_count - 1)) end
    if ARGV[commit.detector] == '1' then redis.call('HSET', alerts_key, '~detector', ARGV[commit.detector + 1]) end
    for i = 0, commit.detector_count - 1 do
      redis.call('HSET', alerts_key, '~detector|' .. ARGV[commit.detectors + 2 * i], ARGV[commit.detectors + 2 * i + 1])
    end
    -- A stream, so publishers ack entries by id (two drainers may overlap; see types.ts).
    for i = 0, commit.entry_count - 1 do
      redis.call('XADD', outbox_key, '*', 'm', ARGV[commit.entries + i])
    end
    redis.call('HSET', clock_key, 'evaluated', commit.target)
    evaluated = target
    if commit.idle_ms > 0 then idle_ms = commit.idle_ms end
    reply[c] = 1
  end
end
if idle_ms > 0 then
  for _, key in ipairs({clock_key, alerts_key, outbox_key}) do redis.call('PEXPIRE', key, idle_ms) end
end
return reply
