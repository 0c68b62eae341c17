-- Records one retrain trigger of a model in its pending hash.
-- KEYS[1] retrain:pending (hash)  KEYS[2] retrain:last (finish time of the last retrain)
-- ARGV[1] now ms  ARGV[2] debounce ms  ARGV[3] cooldown ms  ARGV[4] manual (1/0)
-- ARGV[5] trigger JSON  ARGV[6] dedupe id ('' for none: the alert id)  ARGV[7] cap
-- ARGV[8] key ttl ms (the model's retrain key TTL, retrain-keys.ts)
-- Hash fields: firstAt, dueAt, debounce; seq (triggers recorded so far, dropped ones too);
-- base (seq of the last trigger a finished run consumed, see clear-trigger.lua); stored
-- (t:* fields present); t:<seq> trigger JSON, kept verbatim (no cjson round trip, which
-- would cut numbers to 14 digits); mi (seq of the last manual trigger, 0 none); a:<id> the
-- seq it was recorded at (clear-trigger.lua drops the ones a run consumed); attempts and
-- failed, written by retry-trigger.lua after a transient failure and never touched here (a new
-- alert joins the pending retry without resetting its count).
-- Reply: {recorded 1/0, reason, dueAt}; reasons: created, appended, cooldown, duplicate.
-- A recorded trigger renews the hash's expiry: a model in use keeps its pending trigger, one
-- nobody retrains any more (retrainers gone for longer than the TTL) loses it.
-- The caller adds the model to the deployment's set `dw:retrain:pending:<prefix>` after this
-- script (a different slot): a crash in between leaves a hash the set does not name, and the
-- alert it came from is redelivered (its offset was not committed), recorded as a duplicate,
-- and the add happens then. Duplicates are recognised by alert id so redelivery adds nothing.
local pending, last_key = KEYS[1], KEYS[2]
-- Lua would write a number argument with %.14g; times are written as exact integers.
local function int_string(x) return string.format('%.0f', x) end
local now, debounce, cooldown = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local manual = ARGV[4] == '1'
local trigger, dedupe, cap, ttl = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]

local due = tonumber(redis.call('HGET', pending, 'dueAt') or '')
if dedupe ~= '' and redis.call('HEXISTS', pending, 'a:' .. dedupe) == 1 then
  return {0, 'duplicate', due}
end
-- Manual triggers skip the cooldown; automatic ones arriving within it are dropped.
if not manual then
  local last = tonumber(redis.call('GET', last_key) or '')
  if last and now < last + cooldown then return {0, 'cooldown', last + cooldown} end
end

local reason
local seq = 1
if not due then
  -- A manual trigger has no debounce: it is due at once.
  due = manual and now or now + debounce
  redis.call('HSET', pending, 'firstAt', int_string(now), 'dueAt', int_string(due), 'debounce', int_string(debounce),
    'seq', 1, 'base', 0, 'stored', 1, 't:1', trigger, 'mi', manual and 1 or 0)
  reason = 'created'
else
  -- Later triggers never move dueAt back: several alerts of one drift make one retrain.
  seq = redis.call('HINCRBY', pending, 'seq', 1)
  if tonumber(redis.call('HGET', pending, 'stored')) < cap then
    redis.call('HSET', pending, 't:' .. seq, trigger)
    redis.call('HINCRBY', pending, 'stored', 1)
  end
  if manual then
    redis.call('HSET', pending, 'mi', seq)
    if now < due then
      due = now
      redis.call('HSET', pending, 'dueAt', int_string(due))
    end
  end
  reason = 'appended'
end
if dedupe ~= '' then redis.call('HSET', pending, 'a:' .. dedupe, seq) end
redis.call('PEXPIRE', pending, ttl)
return {1, reason, due}
