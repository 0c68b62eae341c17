// RetrainQueue on Redis: record-trigger.lua, clear-trigger.lua and retry-trigger.lua over the
// model's pending hash, plus the deployment's set of models with a pending trigger, kept with single-key
// commands and add-member.lua (it lives in another slot than any model's keys). Every key
// expires with the model's retrain key TTL (retrain-keys.ts).
import type { IncidentTrigger } from '../codec/events.generated.js';
import { defineLuaScript, type LuaCommand } from '../store/lua-scripts.js';
import type { RedisClient } from '../store/redis-connection.js';
import { redisAddMember, type AddMember } from './deployment-sets.js';
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
import { pendingFromFields } from './pending-fields.js';

const CLEAR_RESULTS = { 0: 'not-current', 1: 'cleared', 2: 'kept-newer' } as const;

export class RedisRetrainQueue implements RetrainQueue {
  private readonly recordScript: LuaCommand;
  private readonly clearScript: LuaCommand;
  private readonly retryScript: LuaCommand;

  private readonly addMember: AddMember;
  private readonly pendingModels: string;

  /** `namespace`: the deployment's topic prefix (see pendingModelsKey); `keyTtl`: how long each model's keys live after a write. */
  constructor(
    readonly client: RedisClient,
    namespace: string,
    private readonly keyTtl: KeyTtl = defaultKeyTtl,
  ) {
    this.pendingModels = pendingModelsKey(namespace);
    this.addMember = redisAddMember(client);
    const base = import.meta.url;
    this.recordScript = defineLuaScript(client, base, { name: 'driftwatchRecordRetrainTrigger', file: './record-trigger.lua', numberOfKeys: 2 });
    this.clearScript = defineLuaScript(client, base, { name: 'driftwatchClearRetrainTrigger', file: './clear-trigger.lua', numberOfKeys: 1 });
    this.retryScript = defineLuaScript(client, base, { name: 'driftwatchRetryRetrainTrigger', file: './retry-trigger.lua', numberOfKeys: 1 });
  }

  async record(model: string, trigger: IncidentTrigger, options: RecordOptions): Promise<RecordResult> {
    assertRecordOptions(options);
    const ttl = keyTtlOf(this.keyTtl, model);
    const reply = (await this.recordScript(
      [pendingKey(model), lastKey(model)],
      [options.now, options.debounceMs, options.cooldownMs, options.manual ? '1' : '0', JSON.stringify(trigger), trigger.alertId ?? '', TRIGGER_CAP, ttl],
    )) as [number, string, number | undefined];
    const dueAt = reply[2] === undefined ? null : Number(reply[2]);
    if (Number(reply[0]) !== 1) return { recorded: false, reason: reply[1] as 'cooldown' | 'duplicate', dueAt };
    // After the hash (see record-trigger.lua for why this order is safe); also after a duplicate,
    // which is how a redelivered alert repairs a crash between the two.
    await this.addMember(this.pendingModels, model, ttl);
    return { recorded: true, reason: reply[1] as 'created' | 'appended', dueAt: dueAt! };
  }

  async due(now: number): Promise<string[]> {
    assertTime('now', now);
    const models = await this.client.smembers(this.pendingModels);
    const dueAts = await Promise.all(models.map((model) => this.client.hget(pendingKey(model), 'dueAt')));
    const due: { model: string; at: number }[] = [];
    for (const [i, model] of models.entries()) {
      const at = dueAts[i];
      if (at === null || at === undefined) await this.forget(model);
      else if (Number(at) <= now) due.push({ model, at: Number(at) });
    }
    return due.sort((a, b) => a.at - b.at || (a.model < b.model ? -1 : 1)).map((d) => d.model);
  }

  async peek(model: string): Promise<PendingTrigger | null> {
    return pendingFromFields(model, await this.client.hgetall(pendingKey(model)));
  }

  async clear(model: string, firstAt: number, count?: number, now: number = Date.now()): Promise<'cleared' | 'kept-newer' | 'not-current'> {
    assertTime('firstAt', firstAt);
    assertTime('now', now);
    const reply = Number(await this.clearScript([pendingKey(model)], [firstAt, count ?? -1, now, keyTtlOf(this.keyTtl, model)])) as 0 | 1 | 2;
    if (reply === 1) await this.forget(model);
    return CLEAR_RESULTS[reply];
  }

  async retryLater(model: string, firstAt: number, retry: RetryLater): Promise<'scheduled' | 'not-current'> {
    assertTime('firstAt', firstAt);
    assertRetryLater(retry);
    const reply = Number(
      await this.retryScript([pendingKey(model)], [firstAt, retry.attempts, retry.retryAt, retry.failedIncident, keyTtlOf(this.keyTtl, model)]),
    );
    // The model stays in the deployment's set: its hash was there, and still is.
    return reply === 1 ? 'scheduled' : 'not-current';
  }

  async finished(model: string, now: number): Promise<void> {
    assertTime('now', now);
    // Its TTL is never shorter than the cooldown (retrainKeyTtlMs), so the cooldown holds.
    await this.client.set(lastKey(model), now, 'PX', keyTtlOf(this.keyTtl, model));
  }

  /**
   * Drops the model from the set, then re-adds it if a trigger was recorded meanwhile: that
   * recorder's SADD may have run before our SREM, and the hash it wrote is what we check.
   */
  private async forget(model: string): Promise<void> {
    await this.client.srem(this.pendingModels, model);
    if ((await this.client.exists(pendingKey(model))) === 1) await this.addMember(this.pendingModels, model, keyTtlOf(this.keyTtl, model));
  }
}
