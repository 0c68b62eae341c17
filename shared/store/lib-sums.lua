-- Adding counter deltas onto a Redis hash as doubles, shared by every script that keeps
-- sums (apply-batch.lua here, the monitor state's lib-counters.lua). Values are read with
-- HMGET, the deltas of each field added in batch order, and callers write the results with
-- 17 significant digits: HINCRBYFLOAT would keep only 17 digits after the decimal point.

-- unpack() pushes every element on the Lua C stack (about 8000 slots), so long field lists
-- are read and written in chunks.
local CHUNK = 1000

-- Returns the sums of `fields` (stored value + deltas[field]...), or nil and the reason
-- when a stored value is not a number.
local function sum_fields(key, fields, deltas)
  local sums = {}
  for first = 1, #fields, CHUNK do
    local last = math.min(first + CHUNK - 1, #fields)
    local current = redis.call('HMGET', key, unpack(fields, first, last))
    for i = first, last do
      local field = fields[i]
      local stored = current[i - first + 1]
      local sum = 0
      if stored then
        sum = tonumber(stored)
        if not sum then return nil, key .. ' ' .. field .. ' holds a non-number' end
      end
      for _, by in ipairs(deltas[field]) do sum = sum + by end
      sums[i] = sum
    end
  end
  return sums
end
