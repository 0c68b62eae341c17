-- Claims the delivery of one alert to one sink, so that one instance delivers it once.
-- KEYS[1] the (alert id, sink) record  ARGV[1] owner  ARGV[2] claim ttl ms
-- The record is absent (never tried), 'claimed:<owner>' (being delivered, expires with the
-- claim so a killed instance's delivery is taken over), 'delivered' or 'dead' (done; kept for
-- the record ttl, see finish-delivery.lua).
-- Reply {state, ms}: 'claimed' (the caller delivers now), 'delivered' or 'dead' (done before:
-- skip it), 'busy' (another owner's claim, ms until it expires).
local value = redis.call('GET', KEYS[1])
if not value or value == 'claimed:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'claimed:' .. ARGV[1], 'PX', ARGV[2])
  return {'claimed', tonumber(ARGV[2])}
end
if value == 'delivered' or value == 'dead' then return {value, 0} end
return {'busy', redis.call('PTTL', KEYS[1])}
