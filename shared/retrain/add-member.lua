-- Adds a model to a deployment's set (models with a pending trigger, models with incidents) and
-- keeps the set alive at least the model's key TTL from now, never shortening it: the set must
-- outlive every member's own keys (a set that expired first would hide a live pending trigger),
-- and a deployment that stopped writing must not keep it forever. Members whose keys expired
-- are pruned by the readers (RetrainQueue.due, IncidentStore.models).
-- KEYS[1] the set  ARGV[1] member  ARGV[2] ttl ms
-- Reply: 1
redis.call('SADD', KEYS[1], ARGV[1])
-- PTTL is -1 for a set without expiry (written by a release before this one): it gets one.
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
