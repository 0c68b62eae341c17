// RetrainQueue in process memory, the twin of record-trigger.lua, clear-trigger.lua and
// retry-trigger.lua: the
// same hash fields (as strings) under the same keys in the keyspace's object store, with the
// same expiries, each operation synchronous like a script.
import type { IncidentTrigger } from '../codec/events.generated.js';
import { MemoryObjects } from '../monitor-state/memory-objects.js';
import type { MemoryKeyspace } from '../store/memory-store.js';
import { memoryAddMember, memoryRemoveMember } from './deployment-sets.js';
import { pendingFromFields } from './pending-fields.js';
import { defaultKeyTtl, keyTtlOf, lastKey, pendingKey, pendingModelsKey, type KeyTtl } from './retrain-keys.js';
import {
  TRIGGER_CAP,
  assertRecordOptions,
  assertRetryLater,
  assertTime,
  type PendingTrigger,
  type RecordOptions,
  type RecordResult,
  type RetrainQueue,
  type RetryLater,
} from './retrain-queue.js';

type Hash = Map<string, string>;

export class MemoryRetrainQueue implements RetrainQueue {
  private readonly objects: MemoryObjects;
  private readonly pendingModels: string;

  /** `namespace`: the deployment's topic prefix (see pendingModelsKey); `keyTtl`: how long each model's keys live after a write. */
  constructor(
    keyspace: MemoryKeyspace,
    namespace: string,
    private readonly keyTtl: KeyTtl = defaultKeyTtl,
  ) {
    this.objects = MemoryObjects.of(keyspace);
    this.pendingModels = pendingModelsKey(namespace);
  }

  async record(model: string, trigger: IncidentTrigger, options: RecordOptions): Promise<RecordResult> {
    assertRecordOptions(options);
    const { now, debounceMs, cooldownMs } = options;
    const manual = options.manual ?? false;
    const ttl = keyTtlOf(this.keyTtl, model);
    const key = pendingKey(model);
    const hash = this.objects.get<Hash>(key);
    let due = hash === undefined ? null : Number(hash.get('dueAt'));
    const dedupe = trigger.alertId ?? '';
    if (dedupe !== '' && hash?.has(`a:${dedupe}`)) return { recorded: false, reason: 'duplicate', dueAt: due };
    if (!manual) {
      const last = this.objects.get<string>(lastKey(model));
      if (last !== undefined && now < Number(last) + cooldownMs) return { recorded: false, reason: 'cooldown', dueAt: Number(last) + cooldownMs };
    }
    let reason: 'created' | 'appended';
    const json = JSON.stringify(trigger);
    let target: Hash;
    let seq = 1;
    if (hash === undefined || due === null) {
      due = manual ? now : now + debounceMs;
      target = new Map([
        ['firstAt', String(now)], ['dueAt', String(due)], ['debounce', String(debounceMs)],
        ['seq', '1'], ['base', '0'], ['stored', '1'], ['t:1', json], ['mi', manual ? '1' : '0'],
      ]);
      this.objects.set(key, target, ttl);
      reason = 'created';
    } else {
      target = hash;
      seq = Number(hash.get('seq')) + 1;
      hash.set('seq', String(seq));
      if (Number(hash.get('stored')) < TRIGGER_CAP) {
        hash.set(`t:${seq}`, json);
        hash.set('stored', String(Number(hash.get('stored')) + 1));
      }
      if (manual) {
        hash.set('mi', String(seq));
        if (now < due) {
          due = now;
          hash.set('dueAt', String(due));
        }
      }
      reason = 'appended';
    }
    if (dedupe !== '') target.set(`a:${dedupe}`, String(seq));
    this.objects.expire(key, ttl);
    memoryAddMember(this.objects, this.pendingModels, model, ttl);
    return { recorded: true, reason, dueAt: due };
  }

  async due(now: number): Promise<string[]> {
    assertTime('now', now);
    const models = this.objects.get<Set<string>>(this.pendingModels) ?? new Set<string>();
    const due: { model: string; at: number }[] = [];
    for (const model of [...models]) {
      const hash = this.objects.get<Hash>(pendingKey(model));
      if (hash === undefined) memoryRemoveMember(this.objects, this.pendingModels, model);
      else if (Number(hash.get('dueAt')) <= now) due.push({ model, at: Number(hash.get('dueAt')) });
    }
    return due.sort((a, b) => a.at - b.at || (a.model < b.model ? -1 : 1)).map((d) => d.model);
  }

  async peek(model: string): Promise<PendingTrigger | null> {
    const hash = this.objects.get<Hash>(pendingKey(model));
    return hash === undefined ? null : pendingFromFields(model, Object.fromEntries(hash));
  }

  async clear(model: string, firstAt: number, count?: number, now: number = Date.now()): Promise<'cleared' | 'kept-newer' | 'not-current'> {
    assertTime('firstAt', firstAt);
    assertTime('now', now);
    const key = pendingKey(model);
    const hash = this.objects.get<Hash>(key);
    if (hash === undefined || hash.get('firstAt') !== String(firstAt)) return 'not-current';
    const seq = Number(hash.get('seq'));
    const seen = count ?? -1;
    if (seen < 0 || seen >= seq) {
      this.objects.delete(key);
      memoryRemoveMember(this.objects, this.pendingModels, model);
      return 'cleared';
    }
    let stored = Number(hash.get('stored'));
    for (let i = Number(hash.get('base')) + 1; i <= seen; i++) if (hash.delete(`t:${i}`)) stored--;
    for (const [field, at] of [...hash]) if (field.startsWith('a:') && Number(at) <= seen) hash.delete(field);
    const due = Number(hash.get('mi')) > seen ? now : now + Number(hash.get('debounce'));
    hash.set('firstAt', String(now));
    hash.set('dueAt', String(due));
    hash.set('base', String(seen));
    hash.set('stored', String(stored));
    hash.delete('attempts');
    hash.delete('failed');
    this.objects.expire(key, keyTtlOf(this.keyTtl, model));
    return 'kept-newer';
  }

  async retryLater(model: string, firstAt: number, retry: RetryLater): Promise<'scheduled' | 'not-current'> {
    assertTime('firstAt', firstAt);
    assertRetryLater(retry);
    const key = pendingKey(model);
    const hash = this.objects.get<Hash>(key);
    if (hash === undefined || hash.get('firstAt') !== String(firstAt)) return 'not-current';
    hash.set('attempts', String(retry.attempts));
    hash.set('failed', retry.failedIncident);
    hash.set('dueAt', String(retry.retryAt));
    this.objects.expire(key, keyTtlOf(this.keyTtl, model));
    return 'scheduled';
  }

  async finished(model: string, now: number): Promise<void> {
    assertTime('now', now);
    this.objects.set(lastKey(model), String(now), keyTtlOf(this.keyTtl, model));
  }
}
