-- The scripts as they were before the leaner apply (commit 32ad970): the oracle of
-- test/integration/apply-scripts-stored.test.ts and bench/apply-lua.bench.ts. lib-offsets.lua and
-- lib-sums.lua come from shared/ (unchanged but for additions this copy does not call).
-- Counter deltas are gathered per hash and written once per hash at the end of a script:
-- one HMGET and one HSET (plus HDEL) per touched hash, however many events the batch had.
-- Sums are doubles added in delta order onto the stored value and written with 17
-- significant digits, as shared/store/apply-batch.lua does (see there why not
-- HINCRBYFLOAT); MemoryMonitorState adds in the same order, so both agree bit for bit.
--- @include "../../../shared/store/lib-sums.lua"

local function int_string(n)
  return string.format('%d', n)
end

local function bucket_key(prefix, family, bucket_start)
  return prefix .. 'b:' .. family .. ':' .. int_string(bucket_start)
end

local function window_key(prefix, family, horizon)
  return prefix .. 'w:' .. family .. ':' .. int_string(horizon)
end

local function new_accumulator()
  return {keys = {}, by_key = {}, targets = {}}
end

local function entry_for(acc, key, kind)
  local entry = acc.by_key[key]
  if not entry then
    entry = {kind = kind, fields = {}, deltas = {}}
    acc.by_key[key] = entry
    acc.keys[#acc.keys + 1] = key
  end
  return entry
end

local function add_to_entry(entry, field, by)
  local list = entry.deltas[field]
  if not list then
    list = {}
    entry.deltas[field] = list
    entry.fields[#entry.fields + 1] = field
  end
  list[#list + 1] = by
end

-- kind 'bucket': the hash expires after the retention. kind 'window': fields that come to
-- exactly 0 are removed, so a running sum holds only what is in the window now instead of
-- every field that ever passed through it.
local function accumulate(acc, key, kind, field, by)
  add_to_entry(entry_for(acc, key, kind), field, by)
end

-- The hashes a delta at (family, bucket) goes to: the bucket and every running window sum
-- that holds the bucket now ([end - h, end)), which is where late data inside a window goes.
-- Memoised per batch: building and hashing the key strings per delta was a large share
-- of the apply scripts' time.
local function bucket_targets(acc, prefix, family, bucket_start, window_end, horizons)
  local by_bucket = acc.targets[family]
  if not by_bucket then
    by_bucket = {}
    acc.targets[family] = by_bucket
  end
  local list = by_bucket[bucket_start]
  if not list then
    list = {entry_for(acc, bucket_key(prefix, family, bucket_start), 'bucket')}
    for _, h in ipairs(horizons) do
      if window_end - h <= bucket_start and bucket_start < window_end then
        list[#list + 1] = entry_for(acc, window_key(prefix, family, h), 'window')
      end
    end
    by_bucket[bucket_start] = list
  end
  return list
end

local function add_at_bucket(acc, prefix, family, bucket_start, window_end, horizons, field, by)
  local list = bucket_targets(acc, prefix, family, bucket_start, window_end, horizons)
  for i = 1, #list do add_to_entry(list[i], field, by) end
end

-- The last ARGV: the families and the delta groups packed with MessagePack, as
-- RedisMonitorState's packDeltas writes them: {families, groups}, each group
-- {family, bucket start, {field = increment...}}. Fails before the caller writes anything
-- when it is not that shape.
local function unpack_deltas(packed, script)
  local ok, deltas = pcall(cmsgpack.unpack, packed)
  if not ok or type(deltas) ~= 'table' or type(deltas[1]) ~= 'table' or type(deltas[2]) ~= 'table' then
    error(script .. ': the last argument is not packed delta groups')
  end
  for _, group in ipairs(deltas[2]) do
    if type(group[1]) ~= 'string' or type(group[2]) ~= 'number' or type(group[3]) ~= 'table' then
      error(script .. ': a delta group is not {family, bucket start, counters}')
    end
  end
  return deltas[1], deltas[2]
end

-- Adds the unpacked delta groups into the accumulator, groups in order (a field's deltas
-- are summed in the order of its groups; within a group a field is there once).
local function add_delta_groups(acc, prefix, window_end, horizons, groups)
  for _, group in ipairs(groups) do
    local family, bucket_start = group[1], group[2]
    for field, by in pairs(group[3]) do
      add_at_bucket(acc, prefix, family, bucket_start, window_end, horizons, field, by)
    end
  end
end

-- Idle expiry (issue 9): every key of a model that has no shorter expiry of its own lives
-- idle_ms after its last use, so a model that stops sending disappears from Redis entirely.
-- idle_ms 0 keeps the keys forever (callers that predate the setting).
local function refresh_idle(idle_ms, keys)
  if idle_ms <= 0 then return end
  for _, key in ipairs(keys) do redis.call('PEXPIRE', key, idle_ms) end
end

-- Writes `set` (field, value pairs) and removes `drop` (fields) of a hash, CHUNK at a time.
local function write_fields(key, set, drop)
  for first = 1, #set, 2 * CHUNK do
    redis.call('HSET', key, unpack(set, first, math.min(first + 2 * CHUNK - 1, #set)))
  end
  for first = 1, #drop, CHUNK do
    redis.call('HDEL', key, unpack(drop, first, math.min(first + CHUNK - 1, #drop)))
  end
end

local function flush(acc, retention_ms, idle_ms)
  for _, key in ipairs(acc.keys) do
    local entry = acc.by_key[key]
    local fields = entry.fields
    local set, drop = {}, {}
    local sums, problem = sum_fields(key, fields, entry.deltas)
    if not sums then error(problem) end
    for i, sum in ipairs(sums) do
      local field = fields[i]
      if sum == 0 and entry.kind == 'window' then
        drop[#drop + 1] = field
      else
        set[#set + 1] = field
        set[#set + 1] = string.format('%.17g', sum)
      end
    end
    write_fields(key, set, drop)
    if entry.kind == 'bucket' and retention_ms > 0 and #fields > 0 then
      redis.call('PEXPIRE', key, retention_ms)
    elseif entry.kind == 'window' and idle_ms > 0 and #set > 0 then
      redis.call('PEXPIRE', key, idle_ms)
    end
  end
end

-- The scope's clock: watermark (max event time applied), end E, last evaluated E.
local function read_clock(clock_key)
  local v = redis.call('HMGET', clock_key, 'watermark', 'end', 'evaluated')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
end

local function raise_watermark(clock_key, watermark, event_time)
  if event_time > watermark then
    redis.call('HSET', clock_key, 'watermark', int_string(event_time))
    return event_time
  end
  return watermark
end

-- A scope's watermark is the slowest of its sources (topic-partitions): a consumer catching
-- up reads partitions unevenly, and a window evaluated when only the fastest partition had
-- passed its end would miss the others' events. Each source's max event time is kept in
-- the clock as `<kind>|<topic>|<partition>` (kind `pp` predictions, `pl` labels). A source
-- that was read to its end (caught up) and is more than PARTITION_IDLE_MS behind the most
-- advanced one counts as idle and is left out, so a partition that stops getting a model's
-- events cannot stall its evaluation forever; a partition not read to its end is lagging
-- (a consumer catching up) and always waited for.
-- Until all `expected` partitions of each source topic have delivered, the watermark waits
-- (a minute of wall-clock time at most); the performance scope also waits for its first label.
-- Returns the scope watermark.
local PARTITION_IDLE_MS = 600000
local MISSING_SOURCE_WAIT_MS = 60000

local function raise_source_watermark(clock_key, watermark, source_field, kind, event_time, expected, needs_labels, caught_up)
  local field = kind .. '|' .. string.match(source_field, '[^|]*|[^|]*$')
  local current = tonumber(redis.call('HGET', clock_key, field)) or 0
  if event_time > current then redis.call('HSET', clock_key, field, int_string(event_time)) end
  redis.call('HSET', clock_key, 'c' .. field, caught_up)
  -- Wall-clock time, not event time: a single partition's first batch may span any amount
  -- of event time during a catch-up, while every partition with data delivers within seconds.
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSETNX', clock_key, 'since', int_string(now_ms))
  local since = tonumber(redis.call('HGET', clock_key, 'since'))
  local sources = {}
  local most = 0
  local counts = {['pp|'] = 0, ['pl|'] = 0}
  local fields = redis.call('HGETALL', clock_key)
  local flags = {}
  for i = 1, #fields, 2 do
    local k = string.sub(fields[i], 1, 3)
    if k == 'pp|' or k == 'pl|' then
      local v = tonumber(fields[i + 1])
      sources[#sources + 1] = {k, v, fields[i]}
      counts[k] = counts[k] + 1
      if v > most then most = v end
    elseif k == 'cpp' or k == 'cpl' then
      flags[string.sub(fields[i], 2)] = fields[i + 1]
    end
  end
  -- A source that has not delivered yet holds the watermark back, for at most
  -- MISSING_SOURCE_WAIT_MS after the scope's first apply.
  local missing = counts['pp|'] < expected or (needs_labels and counts['pl|'] < expected)
  if missing and now_ms - since <= MISSING_SOURCE_WAIT_MS then
    return watermark
  end
  local slowest = nil
  for _, source in ipairs(sources) do
    local v = source[2]
    -- Only a partition read to its end can be idle; one still behind is lagging, and waited for.
    if v >= most - PARTITION_IDLE_MS or flags[source[3]] ~= '1' then
      if slowest == nil or v < slowest then slowest = v end
    end
  end
  if needs_labels and counts['pl|'] == 0 then slowest = 0 end
  return raise_watermark(clock_key, watermark, slowest or 0)
end
