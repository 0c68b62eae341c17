-- Moves a scope's window end E forward to a bucket boundary and keeps every running window
-- sum equal to the sum of its family's buckets in [E - h, E); returns everything an
-- evaluation needs in this one round trip: the window sums of the horizons due at E (issue 8:
-- long horizons are read less often, see shared/pipeline/evaluation-cadence.ts), the alert and
-- detector states, and the closing bucket [E - bucket, E) of the families the detector reads.
-- Every horizon's sum slides at every advance whether read or not: the apply scripts add late
-- data to a sum by E, so each must cover [E - h, E) at all times.
-- Calling it with a target at or before E changes nothing and returns the same reads.
--
-- Several targets in one call (EvaluationState.advanceEnds, issue 8): each is moved to and
-- read in turn exactly as one call per target would (same slides, same rebuilds, same sums),
-- so an evaluation loop that is k ends behind pays one round trip instead of k. The alert
-- states are read once: nothing here writes them (the commits of those ends come after).
--
-- KEYS[1] clock:<scope>  KEYS[2] families:<scope>  KEYS[3] alerts:<scope>
-- ARGV: prefix `dw:{model}:`, bucket ms, rebuild every N advances, idle ms (0: no expiry),
--       horizon count, horizons..., closing count, family prefixes of the closing bucket...,
--       target count, per target: target end, read count, horizons to read...
-- Bucket and window keys are derived here from the prefix (families are only known here).
-- Reply: {{alert field, value...}, {family...},
--         per target {advanced, from, end, {family, horizon, {field, value...}}..., {family, {field, value...}}...}...}

--- @include "lib-counters.lua"

local clock_key, families_key, alerts_key = KEYS[1], KEYS[2], KEYS[3]
local prefix = ARGV[1]
local bucket_ms = tonumber(ARGV[2])
local rebuild_every = tonumber(ARGV[3])
local idle_ms = tonumber(ARGV[4])
local horizons = {}
local largest = 0
local a = 5
for i = 1, tonumber(ARGV[a]) do
  horizons[i] = tonumber(ARGV[a + i])
  largest = math.max(largest, horizons[i])
end
a = a + #horizons + 1
local closing_prefixes = {}
for i = 1, tonumber(ARGV[a]) do closing_prefixes[i] = ARGV[a + i] end
a = a + #closing_prefixes + 1
local targets = {}
for t = 1, tonumber(ARGV[a]) do
  local read = {}
  for i = 1, tonumber(ARGV[a + 2]) do read[i] = tonumber(ARGV[a + 2 + i]) end
  targets[t] = {to = tonumber(ARGV[a + 1]), read = read}
  a = a + 2 + #read
end
if a ~= #ARGV then error('advance: expected ' .. a .. ' arguments, got ' .. #ARGV) end

local _watermark, window_end = read_clock(clock_key)
local families = redis.call('SMEMBERS', families_key)
table.sort(families)

-- The window sums this call touches are held here between targets and written once at the
-- end (issue 8): reading and writing every window hash at every end was most of an advance's
-- time. Each sum still takes exactly the additions, in the same order, that one call per
-- target made (stored value, then entering buckets, then leaving ones, each in time order):
-- the doubles, and so the 17-digit strings written and read back, are the same.
-- A window: {key, fields (ordered, may list removed ones), listed, values (field → sum, nil
-- when removed), dirty (field → true), replaced (rebuilt: the stored hash is dropped first)}.
local windows_by_key = {}
local windows_order = {}

local function window(family, h)
  local key = window_key(prefix, family, h)
  local w = windows_by_key[key]
  if not w then
    w = {key = key, fields = {}, listed = {}, values = {}, dirty = {}, replaced = false}
    local flat = redis.call('HGETALL', key)
    for f = 1, #flat, 2 do
      local field = flat[f]
      local value = tonumber(flat[f + 1])
      if not value then error(key .. ' ' .. field .. ' holds a non-number') end
      w.fields[#w.fields + 1] = field
      w.listed[field] = true
      w.values[field] = value
    end
    windows_by_key[key] = w
    windows_order[#windows_order + 1] = key
  end
  return w
end

local function add(w, field, by)
  local current = w.values[field]
  if current == nil then
    current = 0
    if not w.listed[field] then
      w.listed[field] = true
      w.fields[#w.fields + 1] = field
    end
  end
  w.values[field] = current + by
  w.dirty[field] = true
end

-- A window sum leaves out fields that came to exactly 0 at an end (as the stored hash did):
-- it holds only what is in the window now instead of every field that ever passed through.
local function drop_zeros(w)
  for field in pairs(w.dirty) do
    if w.values[field] == 0 then w.values[field] = nil end
  end
end

-- Re-sums every horizon's window from its buckets in one pass over the largest window;
-- bounds the float drift of incremental updates and handles jumps longer than a window.
local function rebuild(family, target)
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
    local w = {key = key, fields = {}, listed = {}, values = {}, dirty = {}, replaced = true}
    for _, field in ipairs(sums[i].fields) do
      local value = sums[i].values[field]
      if value ~= 0 then
        w.fields[#w.fields + 1] = field
        w.listed[field] = true
        w.values[field] = value
      end
    end
    if not windows_by_key[key] then windows_order[#windows_order + 1] = key end
    windows_by_key[key] = w
  end
end

-- Entering buckets [max(E, E' - h), E') first, then leaving ones [E - h, min(E, E' - h)),
-- each in time order (MemoryMonitorState adds in the same order). The entering buckets are
-- the same for every horizon: each is read once.
local function slide(family, target)
  local entering = {}
  for _, h in ipairs(horizons) do
    local w = window(family, h)
    for b = math.max(window_end, target - h), target - bucket_ms, bucket_ms do
      local flat = entering[b]
      if not flat then
        flat = redis.call('HGETALL', bucket_key(prefix, family, b))
        entering[b] = flat
      end
      for f = 1, #flat, 2 do add(w, flat[f], tonumber(flat[f + 1])) end
    end
    for b = window_end - h, math.min(window_end, target - h) - bucket_ms, bucket_ms do
      local flat = redis.call('HGETALL', bucket_key(prefix, family, b))
      for f = 1, #flat, 2 do add(w, flat[f], -tonumber(flat[f + 1])) end
    end
    drop_zeros(w)
  end
end

local function read_window(family, h)
  local w = window(family, h)
  local flat = {}
  for _, field in ipairs(w.fields) do
    local value = w.values[field]
    if value ~= nil then
      flat[#flat + 1] = field
      flat[#flat + 1] = string.format('%.17g', value)
    end
  end
  return flat
end

-- Every window sum changed by the call, written once.
local function write_windows()
  for _, key in ipairs(windows_order) do
    local w = windows_by_key[key]
    local set, drop = {}, {}
    if w.replaced then
      redis.call('DEL', key)
      for _, field in ipairs(w.fields) do
        local value = w.values[field]
        if value ~= nil then
          set[#set + 1] = field
          set[#set + 1] = string.format('%.17g', value)
        end
      end
    else
      for _, field in ipairs(w.fields) do
        if w.dirty[field] then
          local value = w.values[field]
          if value == nil then
            drop[#drop + 1] = field
          else
            set[#set + 1] = field
            set[#set + 1] = string.format('%.17g', value)
          end
        end
      end
    end
    write_fields(key, set, drop)
  end
end

-- One target: E moves there (when ahead) and the evaluation's reads are taken at the new E.
local function advance_to(target, read)
  local from = window_end
  local advanced = 0
  if target > window_end then
    advanced = 1
    local advances = redis.call('HINCRBY', clock_key, 'advances', 1)
    local full = window_end == 0 or target - window_end >= largest or advances % rebuild_every == 0
    for _, family in ipairs(families) do
      if full then rebuild(family, target) else slide(family, target) end
    end
    redis.call('HSET', clock_key, 'end', int_string(target))
    window_end = target
  end
  local windows = {}
  local closing = {}
  for _, family in ipairs(families) do
    for _, h in ipairs(read) do
      windows[#windows + 1] = family
      windows[#windows + 1] = int_string(h)
      windows[#windows + 1] = read_window(family, h)
    end
    for _, p in ipairs(closing_prefixes) do
      if string.sub(family, 1, #p) == p then
        closing[#closing + 1] = family
        closing[#closing + 1] = redis.call('HGETALL', bucket_key(prefix, family, window_end - bucket_ms))
        break
      end
    end
  end
  return advanced, {advanced, int_string(from), int_string(window_end), windows, closing}
end

local reply = {redis.call('HGETALL', alerts_key), families}
local any_advanced = 0
for _, t in ipairs(targets) do
  local advanced, result = advance_to(t.to, t.read)
  if advanced == 1 then any_advanced = 1 end
  reply[#reply + 1] = result
end
write_windows()
if any_advanced == 1 then
  -- Idle expiry: every window sum of every family, and the scope's clock, families, alerts
  -- (once per call: one script, one point in time).
  local live = {clock_key, families_key, alerts_key}
  for _, family in ipairs(families) do
    for _, h in ipairs(horizons) do live[#live + 1] = window_key(prefix, family, h) end
  end
  refresh_idle(idle_ms, live)
end
return reply
