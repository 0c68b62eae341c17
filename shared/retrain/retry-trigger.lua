-- Keeps a model's pending trigger after a run that failed transiently (Kafka, Redis or the
-- model store down) and makes it due again at the retry time: the alert that asked for the
-- retrain will not fire again, so dropping it would leave the drift unanswered (issue 9).
-- KEYS[1] retrain:pending  ARGV[1] firstAt the run started from  ARGV[2] attempts (transient
-- failures so far, this one included)  ARGV[3] retry time ms  ARGV[4] the failed incident id
-- ARGV[5] key ttl ms
-- Fields written: attempts, failed (the incident the next run retries), dueAt. Everything else
-- stays: the triggers the run saw and those recorded while it ran go to the next run together,
-- and firstAt still names this pending trigger for clear-trigger.lua. record-trigger.lua never
-- touches attempts (a new alert does not reset the count) and never moves dueAt back for an
-- automatic trigger; a manual one makes it due at once, as always. clear-trigger.lua ends the
-- count (DEL, or a kept-newer hash starting afresh).
-- Reply: 1 scheduled, 0 not the pending the run started from (left alone).
local pending = KEYS[1]
if redis.call('HGET', pending, 'firstAt') ~= ARGV[1] then return 0 end
redis.call('HSET', pending, 'attempts', ARGV[2], 'failed', ARGV[4], 'dueAt', ARGV[3])
-- The wait is never longer than the TTL (retrainKeyTtlMs covers retry.maxDelay).
redis.call('PEXPIRE', pending, ARGV[5])
return 1
