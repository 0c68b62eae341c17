// IncidentStore's in-memory twin for the embedded mode, on the keyspace's object companion so
// several services of one process share it; the same keys, expiries and index cap as Redis.
import type { Incident } from '../codec/events.generated.js';
import { MemoryObjects } from '../monitor-state/memory-objects.js';
import type { MemoryKeyspace } from '../store/memory-store.js';
import { memoryAddMember, memoryRemoveMember } from './deployment-sets.js';
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

export class MemoryIncidentStore implements IncidentStore {
  private readonly objects: MemoryObjects;
  private readonly modelsKey: string;

  /** `namespace`: the deployment's topic prefix; `keyTtl`: how long a model's incident keys live after a save. */
  constructor(
    keyspace: MemoryKeyspace,
    namespace: string,
    private readonly keyTtl: KeyTtl = () => MIN_INCIDENT_TTL_MS,
  ) {
    this.objects = MemoryObjects.of(keyspace);
    this.modelsKey = incidentModelsKey(namespace);
  }

  async save(incident: Incident): Promise<void> {
    const { model } = incident;
    const ttl = keyTtlOf(this.keyTtl, model);
    this.objects.set(incidentKey(model, incident.id), incidentToJSON(incident), ttl);
    const indexKey = incidentIndexKey(model);
    const index = this.objects.getOrCreate(indexKey, () => new Map<string, number>()).set(incident.id, incident.openedAt);
    // ZREMRANGEBYRANK 0 -(cap+1): the lowest scores go first (ties: the lower member).
    if (index.size > INCIDENT_INDEX_CAP) {
      const oldest = [...index].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, index.size - INCIDENT_INDEX_CAP);
      for (const [id] of oldest) index.delete(id);
    }
    this.objects.expire(indexKey, ttl);
    memoryAddMember(this.objects, this.modelsKey, model, ttl);
    const pointer = verificationPointer(incident);
    if (pointer !== null) {
      const key = verificationKey(model, pointer.version);
      if (pointer.pending) this.objects.set(key, incident.id, ttl);
      else this.objects.delete(key);
    }
  }

  async awaitingVerification(model: string, version: string): Promise<Incident | null> {
    const id = this.objects.get<string>(verificationKey(model, version));
    return id === undefined ? null : this.get(model, id);
  }

  async get(model: string, id: string): Promise<Incident | null> {
    const text = this.objects.get<string>(incidentKey(model, id));
    return text === undefined ? null : incidentFromJSON(text);
  }

  async list(model: string, limit = 100): Promise<Incident[]> {
    const index = this.objects.get<Map<string, number>>(incidentIndexKey(model));
    if (index === undefined) return [];
    // ZREVRANGE order: score descending, then member descending.
    const ids = [...index].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0)).slice(0, limit);
    const out: Incident[] = [];
    for (const [id] of ids) {
      const incident = await this.get(model, id);
      if (incident !== null) out.push(incident);
    }
    return out;
  }

  /** Drops members whose index expired, as the Redis store does. */
  async models(): Promise<string[]> {
    const members = [...(this.objects.get<Set<string>>(this.modelsKey) ?? [])];
    for (const model of members) if (this.objects.get(incidentIndexKey(model)) === undefined) memoryRemoveMember(this.objects, this.modelsKey, model);
    return [...(this.objects.get<Set<string>>(this.modelsKey) ?? [])].sort();
  }
}
