// IncidentStore on Redis: the record and its index entry are written in one MULTI, so a
// listed incident always has a record.
import type { Incident } from '../codec/events.generated.js';
import type { RedisClient } from '../store/redis-connection.js';
import {
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

  /** `namespace`: the deployment's topic prefix. */
  constructor(
    private readonly redis: RedisClient,
    namespace: string,
  ) {
    this.modelsKey = incidentModelsKey(namespace);
  }

  async save(incident: Incident): Promise<void> {
    const multi = this.redis
      .multi()
      .set(incidentKey(incident.model, incident.id), incidentToJSON(incident))
      .zadd(incidentIndexKey(incident.model), incident.openedAt, incident.id);
    const pointer = verificationPointer(incident);
    if (pointer !== null) {
      const key = verificationKey(incident.model, pointer.version);
      if (pointer.pending) multi.set(key, incident.id);
      else multi.del(key);
    }
    await multi.exec();
    // Its own slot on a cluster, so outside the MULTI; a model listed twice is harmless.
    await this.redis.sadd(this.modelsKey, incident.model);
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

  async models(): Promise<string[]> {
    return (await this.redis.smembers(this.modelsKey)).sort();
  }
}
