-- Applies the counter deltas of one performance-service batch of one model whose join ran
-- in the service's memory, fenced by a compare-and-set on the recorded offsets of BOTH
-- streams of the partition (the batch's own and the paired one): the caller decided which
-- outcomes Redis already counted from those two offsets, so its deltas are right only if
-- both are still what it read. Otherwise nothing is written and both are returned, and the
-- caller recomputes; a call without expectations (a probe) is always refused that way.
-- No straddle check: the fence, not the batch boundaries, decides what was counted.
--
-- KEYS[1] offsets   KEYS[2] clock:perf   KEYS[3] families:perf
-- ARGV: prefix `dw:{model}:`, own offsets field, offset, paired offsets field,
--       has expectations (0: probe / 1), expected own, expected paired (-1: none recorded),
--       source kind (pp/pl), max event time, retention ms, source partitions,
--       caught up (0/1), idle ms (0: no expiry), horizon count, horizons...,
--       the families and delta groups packed with MessagePack (see unpack_deltas in lib-counters.lua)
-- Bucket and window keys are derived here from the prefix: same hash tag, same slot.
-- Reply: {applied, own recorded offset, paired recorded offset, watermark, end, evaluated}
-- (offsets -1 when none is recorded).

--- @include "../../../shared/monitor-state/lib-offsets.lua"
--- @include "lib-counters.lua"

local offsets_key, clock_key, families_key = KEYS[1], KEYS[2], KEYS[3]
local prefix, source_field, batch_offset, paired_field = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local has_expected = ARGV[5] == '1'
local expected_own, expected_paired = tonumber(ARGV[6]), tonumber(ARGV[7])
local kind = ARGV[8]
local max_event_time = tonumber(ARGV[9])
local retention_ms = tonumber(ARGV[10])
local source_partitions = tonumber(ARGV[11])
local caught_up = ARGV[12]
local idle_ms = tonumber(ARGV[13])
local a = 14
local horizons = {}
for i = 1, tonumber(ARGV[a]) do horizons[i] = tonumber(ARGV[a + i]) end
a = a + #horizons + 1
if a ~= #ARGV then error('apply-perf-deltas: expected ' .. a .. ' arguments, got ' .. #ARGV) end

local watermark, window_end, evaluated = read_clock(clock_key)

local stored = redis.call('HMGET', offsets_key, source_field, paired_field)
local own, paired = tonumber(stored[1]) or -1, tonumber(stored[2]) or -1
if not has_expected or own ~= expected_own or paired ~= expected_paired then
  return {0, int_string(own), int_string(paired), int_string(watermark), int_string(window_end), int_string(evaluated)}
end

local families, groups = unpack_deltas(ARGV[a], 'apply-perf-deltas')
if #families > 0 then redis.call('SADD', families_key, unpack(families)) end

local acc = new_accumulator()
add_delta_groups(acc, prefix, window_end, horizons, groups)
flush(acc, retention_ms, idle_ms)

-- The perf scope's watermark waits for labels (needs_labels): outcomes need both streams.
watermark = raise_source_watermark(clock_key, watermark, source_field, kind, max_event_time, source_partitions, true, caught_up)
-- A replayed batch (at or below the recorded offset) leaves the recorded offset where it is.
local recorded = batch_offset
if tonumber(batch_offset) < own then recorded = int_string(own) end
record_offset(offsets_key, source_field, recorded)
-- Idle expiry of the model's long-lived perf keys (window sums are refreshed by flush and
-- advance, buckets have their retention). The join's own state (pending predictions,
-- waiting labels) is in the service's memory (shared/join), never in Redis.
refresh_idle(idle_ms, {offsets_key, clock_key, families_key, prefix .. 'alerts:perf', prefix .. 'outbox:events:perf'})
return {1, recorded, int_string(paired), int_string(watermark), int_string(window_end), int_string(evaluated)}
