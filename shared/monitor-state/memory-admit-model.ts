// The twin of admit-model.lua in process memory (see model-admission.ts for what the set is).
import type { MemoryKeyspace } from '../store/memory-store.js';
import { MemoryObjects } from './memory-objects.js';
import { admittedModelsKey, checkLimits, type AdmissionLimits, type AdmissionReply, type ModelAdmission } from './model-admission.js';

/** The twin of admit-model.lua over a MemoryKeyspace's clock and objects. */
export class MemoryModelAdmission implements ModelAdmission {
  private readonly objects: MemoryObjects;

  constructor(private readonly keyspace: MemoryKeyspace) {
    this.objects = MemoryObjects.of(keyspace);
  }

  async admit(namespace: string, model: string, limits: AdmissionLimits): Promise<AdmissionReply> {
    checkLimits(model, limits);
    const key = admittedModelsKey(namespace);
    const now = Math.floor(this.keyspace.now());
    const members = this.objects.getOrCreate<Map<string, number>>(key, () => new Map());
    if (limits.idleMs > 0) {
      for (const [member, seen] of members) if (seen < now - limits.idleMs) members.delete(member);
    }
    const known = members.has(model);
    const count = members.size;
    if (!known && count >= limits.maxModels) return { admitted: false, isNew: false, count };
    members.set(model, now);
    if (limits.idleMs > 0) this.objects.expire(key, limits.idleMs);
    return { admitted: true, isNew: !known, count: known ? count : count + 1 };
  }
}
