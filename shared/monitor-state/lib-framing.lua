-- Reads values framed by framing.ts: a sequence of `<byte length>:<bytes>` fields.
-- Returns the field starting at `pos` and the position after it.
local function read_frame(value, pos)
  local colon = string.find(value, ':', pos, true)
  if not colon then error('framed value: missing length separator at byte ' .. pos) end
  local length = tonumber(string.sub(value, pos, colon - 1))
  if not length then error('framed value: bad length at byte ' .. pos) end
  return string.sub(value, colon + 1, colon + length), colon + length + 1
end

-- Returns the position after the field starting at `pos`, without copying it out.
local function skip_frame(value, pos)
  local colon = string.find(value, ':', pos, true)
  if not colon then error('framed value: missing length separator at byte ' .. pos) end
  local length = tonumber(string.sub(value, pos, colon - 1))
  if not length then error('framed value: bad length at byte ' .. pos) end
  return colon + length + 1
end

-- Reads a counter list framed as a count then (field, value) pairs into two arrays.
local function read_counters(value, pos)
  local count
  count, pos = read_frame(value, pos)
  local fields, values = {}, {}
  for i = 1, tonumber(count) do
    fields[i], pos = read_frame(value, pos)
    local number
    number, pos = read_frame(value, pos)
    values[i] = tonumber(number)
  end
  return fields, values, pos
end
