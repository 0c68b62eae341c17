-- Takes a model's retrain lock if nobody holds it, with a fresh fencing token.
-- KEYS[1] retrain:lock  KEYS[2] retrain:fence
-- ARGV[1] owner  ARGV[2] ttl ms
-- Reply: the token (≥ 1), or 0 when the lock is held.
-- The token is counted even across expiries and restarts (INCR on a key that never
-- expires), so a job that lost its lock always carries a lower token than its successor.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return token
