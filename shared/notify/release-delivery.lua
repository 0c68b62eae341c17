-- Gives up a claim without a result (the instance is stopping), so the next owner of the
-- partition delivers at once instead of waiting for the claim to expire.
-- KEYS[1] the (alert id, sink) record  ARGV[1] owner
-- Reply: 1 released, 0 not the caller's claim (left alone).
if redis.call('GET', KEYS[1]) == 'claimed:' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
