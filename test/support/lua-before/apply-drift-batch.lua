-- Applies one drift-service batch of one model: offset idempotence, bucket and running
-- window deltas, family registration, watermark, and capped reference-sample appends.
--
-- KEYS[1] offsets   KEYS[2] clock:drift   KEYS[3] families:drift
-- KEYS[4..]         per reference sample: ref:<version>, refsample:<version>
-- ARGV: prefix `dw:{model}:`, offsets field, offset, first offset (-1 unknown),
--       max event time, retention ms, source partitions, caught up (0/1), idle ms (0: no expiry),
--       horizon count, horizons...,
--       sample count, per sample: cap, row count, rows...,
--       the families and delta groups packed with MessagePack (see unpack_deltas in lib-counters.lua)
-- Bucket and window keys are derived here from the prefix: same hash tag, same slot.
-- Reply: {applied, recorded offset, watermark, end, evaluated, {sample sizes...}}

--- @include "../../../shared/monitor-state/lib-offsets.lua"
--- @include "lib-counters.lua"

local offsets_key, clock_key, families_key = KEYS[1], KEYS[2], KEYS[3]
local prefix, source_field, batch_offset, first_offset = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local max_event_time = tonumber(ARGV[5])
local retention_ms = tonumber(ARGV[6])
local source_partitions = tonumber(ARGV[7])
local caught_up = ARGV[8]
local idle_ms = tonumber(ARGV[9])
local a = 10
local horizons = {}
for i = 1, tonumber(ARGV[a]) do horizons[i] = tonumber(ARGV[a + i]) end
a = a + #horizons + 1

local sample_count = tonumber(ARGV[a])
a = a + 1
-- Where each sample's rows are; the packed deltas follow them as the last argument.
local sample_at = {}
for s = 1, sample_count do
  sample_at[s] = a
  a = a + 2 + tonumber(ARGV[a + 1])
end
if a ~= #ARGV then error('apply-drift-batch: expected ' .. a .. ' arguments, got ' .. #ARGV) end
local packed_at = a

local watermark, window_end, evaluated = read_clock(clock_key)

local function sample_sizes()
  local sizes = {}
  for s = 1, sample_count do sizes[s] = redis.call('LLEN', KEYS[3 + 2 * s]) end
  return sizes
end

local recorded = refused_offset(offsets_key, source_field, batch_offset, first_offset)
if recorded then
  return {0, recorded, int_string(watermark), int_string(window_end), int_string(evaluated), sample_sizes()}
end

-- Unpacked (and checked) before anything is written.
local families, group_list = unpack_deltas(ARGV[packed_at], 'apply-drift-batch')

-- A sample is only collected while its version has no reference; rows beyond the cap are dropped.
for s = 1, sample_count do
  local ref_key, sample_key = KEYS[2 + 2 * s], KEYS[3 + 2 * s]
  a = sample_at[s]
  local cap, rows = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  if rows > 0 and redis.call('EXISTS', ref_key) == 0 then
    local room = math.min(cap - redis.call('LLEN', sample_key), rows)
    for first = 1, room, CHUNK do
      redis.call('RPUSH', sample_key, unpack(ARGV, a + 1 + first, a + 1 + math.min(first + CHUNK - 1, room)))
    end
  end
end

if #families > 0 then redis.call('SADD', families_key, unpack(families)) end

-- Per group its fields and increments as lists (the direct path reads them in chunks), and
-- how many groups of the call add to its bucket.
local groups = {}
local occurrences = {}
for g, group in ipairs(group_list) do
  local family, bucket_start = group[1], group[2]
  local id = family .. '\0' .. int_string(bucket_start)
  occurrences[id] = (occurrences[id] or 0) + 1
  local fields, increments = {}, {}
  for field, by in pairs(group[3]) do
    fields[#fields + 1] = field
    increments[#increments + 1] = by
  end
  groups[g] = {family = family, bucket_start = bucket_start, count = #fields, fields = fields, increments = increments, id = id}
end

local largest = 0
for _, h in ipairs(horizons) do largest = math.max(largest, h) end

-- A bucket no running window holds yet (ahead of E, as most are while a consumer catches up)
-- and that only one group of the call adds to: its deltas go straight onto the stored hash,
-- one HMGET and one HSET, without the accumulator's per-field lists (issue 8: the default
-- shape's batches span dozens of buckets). Same sums: stored value + the one delta.
local function add_to_bucket_directly(group)
  local key = bucket_key(prefix, group.family, group.bucket_start)
  local fields, increments = group.fields, group.increments
  local set = {}
  for first = 1, group.count, CHUNK do
    local last = math.min(first + CHUNK - 1, group.count)
    local current = redis.call('HMGET', key, unpack(fields, first, last))
    for i = first, last do
      local stored = current[i - first + 1]
      local sum = 0
      if stored then
        sum = tonumber(stored)
        if not sum then error(key .. ' ' .. fields[i] .. ' holds a non-number') end
      end
      set[#set + 1] = fields[i]
      set[#set + 1] = string.format('%.17g', sum + increments[i])
    end
  end
  for first = 1, #set, 2 * CHUNK do
    redis.call('HSET', key, unpack(set, first, math.min(first + 2 * CHUNK - 1, #set)))
  end
  if retention_ms > 0 and group.count > 0 then redis.call('PEXPIRE', key, retention_ms) end
end

local acc = new_accumulator()
for _, group in ipairs(groups) do
  local in_no_window = group.bucket_start >= window_end or group.bucket_start < window_end - largest
  if in_no_window and occurrences[group.id] == 1 then
    add_to_bucket_directly(group)
  else
    for i = 1, group.count do
      add_at_bucket(acc, prefix, group.family, group.bucket_start, window_end, horizons, group.fields[i], group.increments[i])
    end
  end
end
flush(acc, retention_ms, idle_ms)

watermark = raise_source_watermark(clock_key, watermark, source_field, 'pp', max_event_time, source_partitions, false, caught_up)
record_offset(offsets_key, source_field, batch_offset)
-- Idle expiry of the model's long-lived keys (window sums are refreshed by flush and advance).
local live = {offsets_key, clock_key, families_key, prefix .. 'alerts:drift', prefix .. 'outbox:events:drift'}
for s = 1, sample_count do
  live[#live + 1] = KEYS[2 + 2 * s]
  live[#live + 1] = KEYS[3 + 2 * s]
end
-- The reference of every version counted here (its feat: family).
for _, family in ipairs(families) do
  local version = string.match(family, '^feat:(.*)$')
  if version then live[#live + 1] = prefix .. 'ref:' .. version end
end
refresh_idle(idle_ms, live)
return {1, batch_offset, int_string(watermark), int_string(window_end), int_string(evaluated), sample_sizes()}
