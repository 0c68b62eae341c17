-- Offset idempotence shared with shared/store/apply-batch.lua: per `group|topic|partition`
-- the last applied offset. A redelivered batch (offset <= recorded) and one straddling the
-- recorded offset (first <= recorded < offset) are refused as a whole; the caller gets the
-- recorded offset back and re-aggregates only the messages after it (apply-once.ts).
-- Returns the recorded offset (a string) when the batch must be refused, nil otherwise.
local function refused_offset(offsets_key, source_field, batch_offset, first_offset)
  local recorded = redis.call('HGET', offsets_key, source_field)
  if not recorded then return nil end
  local last = tonumber(recorded)
  if tonumber(batch_offset) <= last or (tonumber(first_offset) >= 0 and tonumber(first_offset) <= last) then
    return recorded
  end
  return nil
end

local function record_offset(offsets_key, source_field, batch_offset)
  redis.call('HSET', offsets_key, source_field, batch_offset)
end
