// IncidentStore on Redis: the record and its index entry are written in one MULTI, so a
// listed incident always has a record (until the record's TTL ends; list() skips those).
import type { Incident } from '../codec/events.generated.js';
import type { RedisClient } from '../store/redis-connection.js';
import { redisAddMember, type AddMember } from './deployment-sets.js';
import { keyTtlOf, MIN_INCIDENT_TTL_MS, type KeyTtl } from './retrain-keys.js';
import {
  INCIDENT_INDEX_CAP,
  incidentFromJSON,
  incidentIndexKey,
  incidentKey,
  incidentModelsKey,
  incidentToJSON,
  verificationKey,
  verificationPointer,
  type IncidentStore,
} from './incident-store.js';

export class RedisIncidentStore implements IncidentStore {
  private readonly modelsKey: string;
  private readonly addMember: AddMember;

  /** `namespace`: the deployment's topic prefix; `keyTtl`: how long a model's incident keys live after a save. */
  constructor(
    private readonly redis: RedisClient,
    namespace: string,
    private readonly keyTtl: KeyTtl = () => MIN_INCIDENT_TTL_MS,
  ) {
    this.modelsKey = incidentModelsKey(namespace);
    this.addMember = redisAddMember(redis);
  }

  async save(incident: Incident): Promise<void> {
    const { model } = incident;
    const ttl = keyTtlOf(this.keyTtl, model);
    const index = incidentIndexKey(model);
    const multi = this.redis
      .multi()
      .set(incidentKey(model, incident.id), incidentToJSON(incident), 'PX', ttl)
      .zadd(index, incident.openedAt, incident.id)
      .zremrangebyrank(index, 0, -(INCIDENT_INDEX_CAP + 1))
      .pexpire(index, ttl);
    const pointer = verificationPointer(incident);
    if (pointer !== null) {
      const key = verificationKey(model, pointer.version);
      if (pointer.pending) multi.set(key, incident.id, 'PX', ttl);
      else multi.del(key);
    }
    await multi.exec();
    // Its own slot on a cluster, so outside the MULTI; a model listed twice is harmless.
    await this.addMember(this.modelsKey, model, ttl);
  }

  async get(model: string, id: string): Promise<Incident | null> {
    const text = await this.redis.get(incidentKey(model, id));
    return text === null ? null : incidentFromJSON(text);
  }

  async list(model: string, limit = 100): Promise<Incident[]> {
    const ids = await this.redis.zrevrange(incidentIndexKey(model), 0, limit - 1);
    if (ids.length === 0) return [];
    const texts = await this.redis.mget(...ids.map((id) => incidentKey(model, id)));
    return texts.filter((t): t is string => t !== null).map(incidentFromJSON);
  }

  async awaitingVerification(model: string, version: string): Promise<Incident | null> {
    const id = await this.redis.get(verificationKey(model, version));
    return id === null ? null : this.get(model, id);
  }

  /** Drops members whose index expired (their incidents did), re-adding one a save listed meanwhile. */
  async models(): Promise<string[]> {
    const live: string[] = [];
    for (const model of await this.redis.smembers(this.modelsKey)) {
      if ((await this.redis.exists(incidentIndexKey(model))) === 1) {
        live.push(model);
        continue;
      }
      // A save between the EXISTS and the SREM wrote the index before its add: look again.
      await this.redis.srem(this.modelsKey, model);
      if ((await this.redis.exists(incidentIndexKey(model))) === 1) {
        await this.addMember(this.modelsKey, model, keyTtlOf(this.keyTtl, model));
        live.push(model);
      }
    }
    return live.sort();
  }
}
