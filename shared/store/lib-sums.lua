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

-- The stored values of `fields` as numbers (false where absent), or nil when the hash does
-- not exist (HLEN 0: nothing to read). A hash of up to hash-max-listpack-entries fields
-- (512 by default) is a listpack, where HMGET searches the whole list for every field:
-- reading all of it with HGETALL is 2 (100 fields) to 6 (460 fields) times faster when
-- most of its fields are wanted. A hash table is read with HMGET, one lookup per field.
-- Up to WHOLE_ANYWAY fields reading it whole is cheap whatever its encoding.
local WHOLE_ANYWAY = 128

local function read_whole(key, size, wanted)
  if size > 2 * wanted then return false end
  if size <= WHOLE_ANYWAY then return true end
  local encoding = redis.call('OBJECT', 'ENCODING', key)
  return encoding == 'listpack' or encoding == 'ziplist'
end

local function stored_number(key, field, value)
  if not value then return false end
  local number = tonumber(value)
  if not number then error(key .. ' ' .. field .. ' holds a non-number') end
  return number
end

local function stored_numbers(key, fields)
  local size = redis.call('HLEN', key)
  if size == 0 then return nil end
  local n = #fields
  local values = {}
  if read_whole(key, size, n) then
    local flat = redis.call('HGETALL', key)
    local by_field = {}
    for i = 1, #flat, 2 do by_field[flat[i]] = flat[i + 1] end
    for i = 1, n do
      local field = fields[i]
      values[i] = stored_number(key, field, by_field[field])
    end
  else
    for first = 1, n, CHUNK do
      local last = math.min(first + CHUNK - 1, n)
      local current = redis.call('HMGET', key, unpack(fields, first, last))
      for i = first, last do values[i] = stored_number(key, fields[i], current[i - first + 1]) end
    end
  end
  return values
end
