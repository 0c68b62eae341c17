-- Takes a model's retrain lock if nobody holds it, with a fresh fencing token.
-- KEYS[1] retrain:lock  KEYS[2] retrain:fence
-- ARGV[1] owner  ARGV[2] lock ttl ms  ARGV[3] floor: the highest token already published for
-- the model on the models topic (0 for none)  ARGV[4] fence ttl ms
-- Reply: the token (≥ 1, > floor), or 0 when the lock is held.
-- The token is max(INCR, floor + 1), and the counter is set to it. INCR alone keeps tokens
-- increasing while the counter lives; the floor keeps them increasing when it does not: a
-- Redis that lost its data, or a counter that expired with the model's idle expiry, would
-- restart at 1, below tokens consumers already saw, and the champion rule would then ignore
-- the new retrain's PROMOTED as stale. So the fence may expire (ARGV[4]) like every other key.
local function int_string(x) return string.format('%.0f', x) end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if token <= floor then
  token = floor + 1
  redis.call('SET', KEYS[2], int_string(token))
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. int_string(token), 'PX', ARGV[2])
return token
