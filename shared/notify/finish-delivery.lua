-- Records how the delivery of one alert to one sink ended; later claims then skip it.
-- KEYS[1] the (alert id, sink) record  ARGV[1] owner  ARGV[2] 'delivered' or 'dead'  ARGV[3] record ttl ms
-- Reply: 'held' (the caller's claim was still in place), 'lost' (it had expired: another
-- owner may have delivered too), 'delivered' (already recorded delivered: never downgraded).
local value = redis.call('GET', KEYS[1])
if value == 'delivered' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 'delivered'
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if value == 'claimed:' .. ARGV[1] then return 'held' end
return 'lost'
