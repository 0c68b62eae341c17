-- Extends the lock's expiry, only for the holder of this exact token.
-- KEYS[1] retrain:lock  ARGV[1] `<owner>:<token>`  ARGV[2] ttl ms
-- Reply: 1 renewed, 0 not held (expired, or taken by another job since).
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
