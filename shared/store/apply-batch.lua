-- Applies one Kafka batch's aggregated counter deltas for one model and records the batch's
-- offset, atomically. A redelivered batch (offset <= recorded) changes nothing; so does one
-- straddling the recorded offset (first <= recorded < offset), which the caller re-aggregates
-- from the messages after the recorded offset. Either way the reply carries the recorded offset.
--
-- KEYS[1]      the model's offsets hash (never expires)
-- KEYS[2..n]   every hash the batch touches, each once, all under the model's hash tag
-- ARGV[1]      offsets field "group|topic|partition"
-- ARGV[2]      the batch's last offset
-- ARGV[3]      the batch's first offset, "-1" when unknown
-- ARGV[4]      TTL in ms for every touched hash, "0" for none
-- ARGV[5..]    for each KEYS[k], k >= 2, in order: a delta count, then that many
--              (field, increment) pairs in the batch's order.
--
-- Sums are computed here in IEEE doubles and stored with 17 significant digits, instead of
-- HINCRBY/HINCRBYFLOAT: HINCRBYFLOAT stores "%.17Lf" (17 digits after the point, so 1.2e-10
-- keeps 8 significant digits), and HINCRBY fails on a field that once took a fraction.
-- Doubles added in batch order give bit-for-bit the sums MemoryStore computes, integers stay
-- exact up to 2^53 (the range of a JavaScript number anyway), and a per-key HMGET + HSET is
-- fewer commands than one increment per field.
--
-- Redis does not roll a script back on error, so every failure is detected in the read phase
-- before the first write.

--- @include "lib-sums.lua"

local offsets_key = KEYS[1]
local source_field = ARGV[1]
local batch_offset = ARGV[2]
local first_offset = tonumber(ARGV[3])
local ttl_ms = tonumber(ARGV[4])

local recorded = redis.call('HGET', offsets_key, source_field)
if recorded then
  local last = tonumber(recorded)
  if tonumber(batch_offset) <= last or (first_offset >= 0 and first_offset <= last) then
    return {0, recorded}
  end
end

local function fail(message)
  return redis.error_reply('ERR apply-batch: ' .. message)
end

-- Read phase: per key, the new value of every touched field.
local updates = {}
local a = 5
for k = 2, #KEYS do
  local key = KEYS[k]
  local key_type = redis.call('TYPE', key)['ok']
  if key_type ~= 'hash' and key_type ~= 'none' then
    return redis.error_reply('WRONGTYPE apply-batch: ' .. key .. ' holds a ' .. key_type .. ', not a hash')
  end
  local count = tonumber(ARGV[a])
  if not count or a + 2 * count > #ARGV then return fail('malformed delta list for ' .. key) end
  a = a + 1

  local fields = {}   -- unique fields, first-seen order
  local deltas = {}   -- field -> list of increments in batch order
  for i = 0, count - 1 do
    local field = ARGV[a + 2 * i]
    local by = tonumber(ARGV[a + 2 * i + 1])
    if not by then return fail('increment of ' .. key .. ' ' .. field .. ' is not a number') end
    local list = deltas[field]
    if not list then
      list = {}
      deltas[field] = list
      fields[#fields + 1] = field
    end
    list[#list + 1] = by
  end
  a = a + 2 * count

  local sums, problem = sum_fields(key, fields, deltas)
  if not sums then return fail(problem) end
  local values = {}
  for i, sum in ipairs(sums) do
    if sum ~= sum or sum == math.huge or sum == -math.huge then
      return fail(key .. ' ' .. fields[i] .. ' would not be finite')
    end
    values[i] = string.format('%.17g', sum)
  end
  updates[#updates + 1] = {key, fields, values}
end
if a - 1 ~= #ARGV then return fail('expected ' .. (a - 1) .. ' arguments, got ' .. #ARGV) end

-- Write phase.
for _, update in ipairs(updates) do
  local key, fields, values = update[1], update[2], update[3]
  for first = 1, #fields, CHUNK do
    local last = math.min(first + CHUNK - 1, #fields)
    local pairs_ = {}
    for i = first, last do
      pairs_[#pairs_ + 1] = fields[i]
      pairs_[#pairs_ + 1] = values[i]
    end
    redis.call('HSET', key, unpack(pairs_))
  end
  if ttl_ms > 0 and #fields > 0 then
    redis.call('PEXPIRE', key, ttl_ms)
  end
end

redis.call('HSET', offsets_key, source_field, batch_offset)
return {1, batch_offset}
