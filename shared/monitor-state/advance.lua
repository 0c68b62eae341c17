-- Moves a scope's window end E forward to a bucket boundary and keeps every running window
-- sum equal to the sum of its family's buckets in [E - h, E); returns everything an
-- evaluation needs in this one round trip: the window sums of the horizons due at E (issue 8:
-- long horizons are read less often, see shared/pipeline/evaluation-cadence.ts), the alert and
-- detector states, and the closing bucket [E - bucket, E) of the families the detector reads.
-- Every horizon's sum slides at every advance whether read or not: the apply scripts add late
-- data to a sum by E, so each must cover [E - h, E) at all times.
-- Calling it with a target at or before E changes nothing and returns the same reads.
--
-- KEYS[1] clock:<scope>  KEYS[2] families:<scope>  KEYS[3] alerts:<scope>
-- ARGV: prefix `dw:{model}:`, target end, bucket ms, rebuild every N advances,
--       idle ms (0: no expiry), horizon count, horizons...,
--       read count, horizons to read..., closing count, family prefixes of the closing bucket...
-- Bucket and window keys are derived here from the prefix (families are only known here).
-- Reply: {advanced, from, end, {family, horizon, {field, value...}}..., {alert field, value...},
--         {family...}, {family, {field, value...}}...}

--- @include "lib-counters.lua"

local clock_key, families_key, alerts_key = KEYS[1], KEYS[2], KEYS[3]
local prefix = ARGV[1]
local target = tonumber(ARGV[2])
local bucket_ms = tonumber(ARGV[3])
local rebuild_every = tonumber(ARGV[4])
local idle_ms = tonumber(ARGV[5])
local horizons = {}
local largest = 0
local a = 6
for i = 1, tonumber(ARGV[a]) do
  horizons[i] = tonumber(ARGV[a + i])
  largest = math.max(largest, horizons[i])
end
a = a + #horizons + 1
local read = {}
for i = 1, tonumber(ARGV[a]) do read[i] = tonumber(ARGV[a + i]) end
a = a + #read + 1
local closing_prefixes = {}
for i = 1, tonumber(ARGV[a]) do closing_prefixes[i] = ARGV[a + i] end

local _watermark, window_end = read_clock(clock_key)
local from = window_end
local families = redis.call('SMEMBERS', families_key)
table.sort(families)

-- Re-sums every horizon's window from its buckets in one pass over the largest window;
-- bounds the float drift of incremental updates and handles jumps longer than a window.
local function rebuild(family)
  local sums = {}
  for i = 1, #horizons do sums[i] = {fields = {}, values = {}} end
  for b = target - largest, target - bucket_ms, bucket_ms do
    local flat = redis.call('HGETALL', bucket_key(prefix, family, b))
    if #flat > 0 then
      for i, h in ipairs(horizons) do
        if b >= target - h then
          local sum = sums[i]
          for f = 1, #flat, 2 do
            local field = flat[f]
            local current = sum.values[field]
            if current == nil then
              current = 0
              sum.fields[#sum.fields + 1] = field
            end
            sum.values[field] = current + tonumber(flat[f + 1])
          end
        end
      end
    end
  end
  for i, h in ipairs(horizons) do
    local key = window_key(prefix, family, h)
    redis.call('DEL', key)
    local set = {}
    for _, field in ipairs(sums[i].fields) do
      local value = sums[i].values[field]
      if value ~= 0 then
        set[#set + 1] = field
        set[#set + 1] = string.format('%.17g', value)
      end
    end
    for first = 1, #set, 2 * CHUNK do
      redis.call('HSET', key, unpack(set, first, math.min(first + 2 * CHUNK - 1, #set)))
    end
  end
end

-- Entering buckets [max(E, E' - h), E') first, then leaving ones [E - h, min(E, E' - h)),
-- each in time order (MemoryMonitorState adds in the same order). The entering buckets are
-- the same for every horizon: each is read once.
local function slide(acc, family)
  local entering = {}
  for _, h in ipairs(horizons) do
    local key = window_key(prefix, family, h)
    for b = math.max(window_end, target - h), target - bucket_ms, bucket_ms do
      local flat = entering[b]
      if not flat then
        flat = redis.call('HGETALL', bucket_key(prefix, family, b))
        entering[b] = flat
      end
      for f = 1, #flat, 2 do accumulate(acc, key, 'window', flat[f], tonumber(flat[f + 1])) end
    end
    for b = window_end - h, math.min(window_end, target - h) - bucket_ms, bucket_ms do
      local flat = redis.call('HGETALL', bucket_key(prefix, family, b))
      for f = 1, #flat, 2 do accumulate(acc, key, 'window', flat[f], -tonumber(flat[f + 1])) end
    end
  end
end

local advanced = 0
if target > window_end then
  advanced = 1
  local advances = redis.call('HINCRBY', clock_key, 'advances', 1)
  local full = window_end == 0 or target - window_end >= largest or advances % rebuild_every == 0
  local acc = new_accumulator()
  for _, family in ipairs(families) do
    if full then rebuild(family) else slide(acc, family) end
  end
  flush(acc, 0, 0)
  redis.call('HSET', clock_key, 'end', int_string(target))
  window_end = target
  -- Idle expiry: every window sum of every family, and the scope's clock, families, alerts.
  local live = {clock_key, families_key, alerts_key}
  for _, family in ipairs(families) do
    for _, h in ipairs(horizons) do live[#live + 1] = window_key(prefix, family, h) end
  end
  refresh_idle(idle_ms, live)
end

local windows = {}
local closing = {}
for _, family in ipairs(families) do
  for _, h in ipairs(read) do
    windows[#windows + 1] = family
    windows[#windows + 1] = int_string(h)
    windows[#windows + 1] = redis.call('HGETALL', window_key(prefix, family, h))
  end
  for _, p in ipairs(closing_prefixes) do
    if string.sub(family, 1, #p) == p then
      closing[#closing + 1] = family
      closing[#closing + 1] = redis.call('HGETALL', bucket_key(prefix, family, window_end - bucket_ms))
      break
    end
  end
end
return {advanced, int_string(from), int_string(window_end), windows, redis.call('HGETALL', alerts_key), families, closing}
