-- Applies one performance-service batch of one model: offset idempotence, then the join of
-- predictions and labels by prediction id, outcome counters at the prediction's bucket
-- (bucket and running window sums), label coverage, and the move of labels that waited
-- too long for their prediction to the expired-labels outbox.
--
-- KEYS[1] offsets  KEYS[2] clock:perf  KEYS[3] families:perf  KEYS[4] early
-- KEYS[5] outbox:dlq (a stream; field `m` holds the label's framed raw message)
-- KEYS[6..]  per prediction, then per label, in ARGV order: pp:<id>, pl:<id>
-- ARGV: prefix `dw:{model}:`, offsets field, offset, first offset (-1 unknown),
--       max event time, retention ms, label horizon ms, source partitions, caught up (0/1),
--       idle ms (0: no expiry), horizon count, horizons...,
--       prediction count, per prediction: id, framed pending prediction (framing.ts),
--       label count, per label: id, event time, framed early label (framing.ts)
-- Keys of the perf/cov buckets and windows, and of expiring early labels, come from stored
-- values and are derived here from the prefix: same hash tag, same slot.
-- The watermark is the slowest of the predictions' and labels' partitions (see lib-counters.lua).
-- Reply: {applied, recorded offset, watermark, end, evaluated, joined, duplicate
--         predictions, duplicate labels, early labels, expired labels, unusable labels}

--- @include "lib-offsets.lua"
--- @include "lib-counters.lua"
--- @include "lib-framing.lua"

local offsets_key, clock_key, families_key = KEYS[1], KEYS[2], KEYS[3]
local early_key, expired_key = KEYS[4], KEYS[5]
local prefix, source_field, batch_offset, first_offset = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local max_event_time = tonumber(ARGV[5])
local retention_ms = tonumber(ARGV[6])
local label_horizon_ms = tonumber(ARGV[7])
local source_partitions = tonumber(ARGV[8])
local caught_up = ARGV[9]
local idle_ms = tonumber(ARGV[10])
local a = 11
local horizons = {}
for i = 1, tonumber(ARGV[a]) do horizons[i] = tonumber(ARGV[a + i]) end
a = a + #horizons + 1

local watermark, window_end, evaluated = read_clock(clock_key)
local recorded = refused_offset(offsets_key, source_field, batch_offset, first_offset)
if recorded then
  return {0, recorded, int_string(watermark), int_string(window_end), int_string(evaluated), 0, 0, 0, 0, 0, 0}
end

-- sklearn's mean_absolute_percentage_error divides by max(|y|, eps); RegressionSums keeps
-- the |y| < eps terms apart (see shared/stats/window/regression-sums.ts).
local MAPE_EPS = 2 ^ -52
-- OUTCOME_CLASS_PLACEHOLDER of types.ts.
local PLACEHOLDER = '\0T'

-- shared/stats/window/counters.ts escapes '%' and '|' inside a field segment.
local function escape_label(label)
  return (string.gsub((string.gsub(label, '%%', '%%25')), '|', '%%7C'))
end

local function replace_placeholder(field, replacement)
  local parts, pos = {}, 1
  while true do
    local s, e = string.find(field, PLACEHOLDER, pos, true)
    if not s then break end
    parts[#parts + 1] = string.sub(field, pos, s - 1)
    parts[#parts + 1] = replacement
    pos = e + 1
  end
  parts[#parts + 1] = string.sub(field, pos)
  return table.concat(parts)
end

-- Truth of a framed early label, and where its raw message frame starts.
local function read_truth(label)
  local has_class, class, has_value, value, pos
  has_class, pos = read_frame(label, 1)
  class, pos = read_frame(label, pos)
  has_value, pos = read_frame(label, pos)
  value, pos = read_frame(label, pos)
  return (has_class == '1') and class or nil, (has_value == '1') and tonumber(value) or nil, pos
end

local acc = new_accumulator()
local joined, duplicate_predictions, duplicate_labels, early_labels, expired_labels, unusable_labels = 0, 0, 0, 0, 0, 0
local families, registered = {}, {}

local function register(family)
  if not registered[family] then
    registered[family] = true
    families[#families + 1] = family
  end
end

-- Adds the outcome of a pending prediction given the truth; false when the truth does not
-- fit the prediction's task (nothing written then).
local function join(pp_key, pending, true_class, true_value)
  local bucket_text, family, coverage, kind, predicted, pos
  bucket_text, pos = read_frame(pending, 1)
  family, pos = read_frame(pending, pos)
  coverage, pos = read_frame(pending, pos)
  kind, pos = read_frame(pending, pos)
  predicted, pos = read_frame(pending, pos)
  local bucket_start = tonumber(bucket_text)
  local fields, values
  if kind == 'c' then
    if not true_class then return false end
    local class_count
    class_count, pos = read_frame(pending, pos)
    -- Per class its name and its counters as one nested frame; then the fallback's. Nothing
    -- after the template is read, so the walk stops at the true class.
    for _ = 1, tonumber(class_count) do
      local class
      class, pos = read_frame(pending, pos)
      if class == true_class then
        fields, values = read_counters((read_frame(pending, pos)), 1)
        break
      end
      pos = skip_frame(pending, pos)
    end
    if not fields then
      fields, values = read_counters((read_frame(pending, pos)), 1)
      local escaped = escape_label(true_class)
      for i = 1, #fields do fields[i] = replace_placeholder(fields[i], escaped) end
    end
  else
    if not true_value then return false end
    local y, y_hat = true_value, tonumber(predicted)
    local err = y - y_hat
    local abs_err = math.abs(err)
    local scale = math.abs(y)
    local ape, near_zero = 0, abs_err
    if scale >= MAPE_EPS then ape, near_zero = abs_err / scale, 0 end
    fields = {'n', '~sy', '~syy', '~sae', '~sse', '~sape', '~saez'}
    values = {1, y, y * y, abs_err, err * err, ape, near_zero}
  end

  for i = 1, #fields do
    add_at_bucket(acc, prefix, family, bucket_start, window_end, horizons, fields[i], values[i])
  end
  add_at_bucket(acc, prefix, coverage, bucket_start, window_end, horizons, 'l', 1)
  -- The marker outlives the join for the rest of the horizon so a duplicate is recognised.
  redis.call('SET', pp_key, 'J', 'XX', 'KEEPTTL')
  return true
end

local k = 6
local prediction_count = tonumber(ARGV[a])
a = a + 1
for _ = 1, prediction_count do
  local id, pending = ARGV[a], ARGV[a + 1]
  local pp_key, pl_key = KEYS[k], KEYS[k + 1]
  a, k = a + 2, k + 2
  -- Read before the write: a script error leaves earlier writes in place.
  local bucket_text, family, coverage, pos
  bucket_text, pos = read_frame(pending, 1)
  family, pos = read_frame(pending, pos)
  coverage = read_frame(pending, pos)
  -- NX: a prediction already pending or joined is a duplicate, and is left as it is.
  if not redis.call('SET', pp_key, pending, 'NX', 'PX', label_horizon_ms) then
    duplicate_predictions = duplicate_predictions + 1
  else
    register(family)
    register(coverage)
    add_at_bucket(acc, prefix, coverage, tonumber(bucket_text), window_end, horizons, 'n', 1)
    local label = redis.call('GET', pl_key)
    if label then
      local true_class, true_value = read_truth(label)
      if join(pp_key, pending, true_class, true_value) then
        joined = joined + 1
      else
        unusable_labels = unusable_labels + 1
      end
      redis.call('DEL', pl_key)
      redis.call('ZREM', early_key, id)
    end
  end
end

local label_count = tonumber(ARGV[a])
a = a + 1
for _ = 1, label_count do
  local id, event_time, label = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local pp_key, pl_key = KEYS[k], KEYS[k + 1]
  a, k = a + 3, k + 2
  local pending = redis.call('GET', pp_key)
  if pending == 'J' then
    duplicate_labels = duplicate_labels + 1
  elseif pending then
    local true_class, true_value = read_truth(label)
    if join(pp_key, pending, true_class, true_value) then
      joined = joined + 1
    else
      unusable_labels = unusable_labels + 1
    end
  -- The event-time expiry below moves a waiting label to the outbox; the key's own TTL is
  -- twice as long, a safety net that must not win the race and lose the bytes.
  elseif redis.call('SET', pl_key, label, 'NX', 'PX', 2 * label_horizon_ms) then
    redis.call('ZADD', early_key, event_time, id)
    early_labels = early_labels + 1
  else
    duplicate_labels = duplicate_labels + 1
  end
end
if a ~= #ARGV + 1 then error('apply-perf-batch: expected ' .. (a - 1) .. ' arguments, got ' .. #ARGV) end

if #families > 0 then redis.call('SADD', families_key, unpack(families)) end
flush(acc, retention_ms, idle_ms)
local prediction_watermark
watermark, prediction_watermark = raise_source_watermark(clock_key, watermark, source_field,
  label_count > 0 and 'pl' or 'pp', max_event_time, source_partitions, true, caught_up)

-- Labels whose prediction did not come within the horizon (in event time) become dead letters.
local expired = redis.call('ZRANGEBYSCORE', early_key, '-inf', '(' .. int_string(prediction_watermark - label_horizon_ms), 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  local pl_key = prefix .. 'pl:' .. id
  local label = redis.call('GET', pl_key)
  if label then
    local _class, _value, pos = read_truth(label)
    redis.call('XADD', expired_key, '*', 'm', (read_frame(label, pos)))
    redis.call('DEL', pl_key)
  end
  redis.call('ZREM', early_key, id)
  expired_labels = expired_labels + 1
end

record_offset(offsets_key, source_field, batch_offset)
-- Idle expiry of the model's long-lived keys (window sums are refreshed by flush and advance;
-- pp:/pl: keys and buckets have their own, shorter expiry).
refresh_idle(idle_ms, {offsets_key, clock_key, families_key, early_key, expired_key, prefix .. 'alerts:perf', prefix .. 'outbox:events:perf'})
return {1, batch_offset, int_string(watermark), int_string(window_end), int_string(evaluated),
  joined, duplicate_predictions, duplicate_labels, early_labels, expired_labels, unusable_labels}
