-- The fencing check before a job publishes: does the lock still hold this exact token?
-- (A script rather than a GET in TypeScript so the comparison has one definition, shared
-- by the other lock scripts' style, and stays read-only.)
-- KEYS[1] retrain:lock  ARGV[1] `<owner>:<token>`
-- Reply: 1 held, 0 not.
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
