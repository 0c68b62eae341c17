-- Counter deltas are gathered per hash and written once per hash at the end of a script:
-- one HMGET and one HSET (plus HDEL) per touched hash, however many events the batch had.
-- Sums are doubles added in delta order onto the stored value and written with 17
-- significant digits, as shared/store/apply-batch.lua does (see there why not
-- HINCRBYFLOAT); MemoryMonitorState adds in the same order, so both agree bit for bit.
local CHUNK = 1000

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
  return {keys = {}, by_key = {}}
end

-- kind 'bucket': the hash expires after the retention. kind 'window': fields that come to
-- exactly 0 are removed, so a running sum holds only what is in the window now instead of
-- every field that ever passed through it.
local function accumulate(acc, key, kind, field, by)
  local entry = acc.by_key[key]
  if not entry then
    entry = {kind = kind, fields = {}, deltas = {}}
    acc.by_key[key] = entry
    acc.keys[#acc.keys + 1] = key
  end
  local list = entry.deltas[field]
  if not list then
    list = {}
    entry.deltas[field] = list
    entry.fields[#entry.fields + 1] = field
  end
  list[#list + 1] = by
end

-- Adds a delta to a bucket and to every running window sum that holds the bucket now
-- ([end - h, end)), which is where late data inside a window goes.
local function add_at_bucket(acc, prefix, family, bucket_start, window_end, horizons, field, by)
  accumulate(acc, bucket_key(prefix, family, bucket_start), 'bucket', field, by)
  for _, h in ipairs(horizons) do
    if window_end - h <= bucket_start and bucket_start < window_end then
      accumulate(acc, window_key(prefix, family, h), 'window', field, by)
    end
  end
end

local function flush(acc, retention_ms)
  for _, key in ipairs(acc.keys) do
    local entry = acc.by_key[key]
    local fields = entry.fields
    local set, drop = {}, {}
    for first = 1, #fields, CHUNK do
      local last = math.min(first + CHUNK - 1, #fields)
      local current = redis.call('HMGET', key, unpack(fields, first, last))
      for i = first, last do
        local field = fields[i]
        local stored = current[i - first + 1]
        local sum = 0
        if stored then
          sum = tonumber(stored)
          if not sum then error(key .. ' ' .. field .. ' holds a non-number') end
        end
        for _, by in ipairs(entry.deltas[field]) do sum = sum + by end
        if sum == 0 and entry.kind == 'window' then
          drop[#drop + 1] = field
        else
          set[#set + 1] = field
          set[#set + 1] = string.format('%.17g', sum)
        end
      end
    end
    for first = 1, #set, 2 * CHUNK do
      redis.call('HSET', key, unpack(set, first, math.min(first + 2 * CHUNK - 1, #set)))
    end
    for first = 1, #drop, CHUNK do
      redis.call('HDEL', key, unpack(drop, first, math.min(first + CHUNK - 1, #drop)))
    end
    if entry.kind == 'bucket' and retention_ms > 0 and #fields > 0 then
      redis.call('PEXPIRE', key, retention_ms)
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
