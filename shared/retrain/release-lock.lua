-- Deletes the lock, only for the holder of this exact token: a job whose lock expired must
-- not release its successor's.
-- KEYS[1] retrain:lock  ARGV[1] `<owner>:<token>`
-- Reply: 1 released, 0 not held.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
