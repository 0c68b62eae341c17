// StateStore over Redis: one apply-batch.lua call per batch, every key under the model's
// hash tag so the same code runs on a single node and on Redis Cluster.
import { defineLuaScript } from './lua-scripts.js';
import type { LuaCommand } from './lua-scripts.js';
import { connectRedis } from './redis-connection.js';
import type { ConnectionLogger, RedisClient, RedisConnectionConfig } from './redis-connection.js';
import { OFFSETS_KEY, assertModelName, normaliseBatch, offsetField } from './batch-request.js';
import type { NormalisedBatch } from './batch-request.js';
import { modelKey } from './types.js';
import type { ApplyBatchRequest, ApplyBatchResult, BatchSource, StateStore } from './types.js';

export interface ApplyBatchCall {
  keys: string[];
  args: string[];
}

/**
 * Lays a batch out as apply-batch.lua expects: KEYS are the offsets hash then each touched
 * hash once; ARGV carries per key its delta count and then (field, increment) pairs — two
 * strings per delta, so a 10k-delta batch is one ~20k-argument call. Increments are sent in
 * JavaScript's shortest round-trip form (at most 17 significant digits), which Lua's
 * tonumber turns back into exactly the same double.
 */
export function encodeApplyBatch(model: string, batch: NormalisedBatch): ApplyBatchCall {
  const keys = [modelKey(model, OFFSETS_KEY)];
  const args = [batch.offsetField, String(batch.offset), String(batch.firstOffset), String(batch.ttlMs)];
  for (const [key, deltas] of batch.byKey) {
    keys.push(modelKey(model, key));
    args.push(String(deltas.length));
    for (const { field, by } of deltas) args.push(field, String(by));
  }
  return { keys, args };
}

export interface RedisStoreOptions {
  /** Whether close() also closes the client; true when the store created it. */
  ownsClient?: boolean;
}

export class RedisStore implements StateStore {
  private readonly applyBatchScript: LuaCommand;
  private readonly ownsClient: boolean;

  /** Connects (bounded by the config's readyDeadlineMs) and returns a store owning the client. */
  static async connect(config: string | RedisConnectionConfig, options: { logger?: ConnectionLogger } = {}): Promise<RedisStore> {
    const client = await connectRedis(config, options);
    return new RedisStore(client, { ownsClient: true });
  }

  constructor(
    readonly client: RedisClient,
    options: RedisStoreOptions = {},
  ) {
    this.ownsClient = options.ownsClient ?? false;
    this.applyBatchScript = defineLuaScript(client, import.meta.url, {
      name: 'driftwatchApplyBatch',
      file: './apply-batch.lua',
      numberOfKeys: 'dynamic',
    });
  }

  async applyBatch(request: ApplyBatchRequest): Promise<ApplyBatchResult> {
    const { keys, args } = encodeApplyBatch(request.model, normaliseBatch(request));
    const reply = await this.applyBatchScript(keys, args);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error(`apply-batch.lua returned an unexpected reply: ${JSON.stringify(reply)}`);
    return { applied: Number(reply[0]) === 1, offset: Number(reply[1]) };
  }

  async readCounters(model: string, key: string): Promise<Record<string, number>> {
    assertModelName(model);
    const hash = await this.client.hgetall(modelKey(model, key));
    const counters: Record<string, number> = {};
    for (const [field, value] of Object.entries(hash)) counters[field] = Number(value);
    return counters;
  }

  async lastOffset(model: string, source: Omit<BatchSource, 'offset'>): Promise<number> {
    assertModelName(model);
    const recorded = await this.client.hget(modelKey(model, OFFSETS_KEY), offsetField(source));
    return recorded === null ? -1 : Number(recorded);
  }

  async ttlMs(model: string, key: string): Promise<number> {
    assertModelName(model);
    return this.client.pttl(modelKey(model, key));
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      // Already disconnected: nothing left to flush, just stop any reconnect loop.
      this.client.disconnect();
    }
  }
}
