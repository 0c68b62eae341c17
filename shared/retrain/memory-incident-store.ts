// IncidentStore's in-memory twin for the embedded mode, on the keyspace's object companion so
// several services of one process share it.
import type { Incident } from '../codec/events.generated.js';
import { MemoryObjects } from '../monitor-state/memory-objects.js';
import type { MemoryKeyspace } from '../store/memory-store.js';
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

export class MemoryIncidentStore implements IncidentStore {
  private readonly objects: MemoryObjects;
  private readonly modelsKey: string;

  /** `namespace`: the deployment's topic prefix. */
  constructor(keyspace: MemoryKeyspace, namespace: string) {
    this.objects = MemoryObjects.of(keyspace);
    this.modelsKey = incidentModelsKey(namespace);
  }

  async save(incident: Incident): Promise<void> {
    this.objects.set(incidentKey(incident.model, incident.id), incidentToJSON(incident), undefined);
    this.objects.getOrCreate(incidentIndexKey(incident.model), () => new Map<string, number>()).set(incident.id, incident.openedAt);
    this.objects.getOrCreate(this.modelsKey, () => new Set<string>()).add(incident.model);
    const pointer = verificationPointer(incident);
    if (pointer !== null) {
      const key = verificationKey(incident.model, pointer.version);
      if (pointer.pending) this.objects.set(key, incident.id, undefined);
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

  async models(): Promise<string[]> {
    return [...(this.objects.get<Set<string>>(this.modelsKey) ?? [])].sort();
  }
}
