// MonitorState over Redis: one Lua script call per operation on the hot path (apply,
// advance, commit), every key under the model's hash tag so the same code runs on a single
// node and on Redis Cluster.
import { Encoder } from '@msgpack/msgpack';
import { modelKey } from '../store/types.js';
import { OFFSETS_KEY, assertModelName } from '../store/batch-request.js';
import { InvalidBatchError } from '../store/errors.js';
import { connectRedis } from '../store/redis-connection.js';
import type { ConnectionLogger, RedisClient, RedisConnectionConfig } from '../store/redis-connection.js';
import { defineLuaScript, type LuaCommand } from '../store/lua-scripts.js';
import { decodeOutboxEntry, encodeOutboxEntry } from './framing.js';
import {
  DETECTOR_FIELD,
  VERSION_DETECTOR_PREFIX,
  eventsOutboxKey,
  alertsKey,
  assertBucketStart,
  bucketKey,
  clockKey,
  familiesKey,
  referenceKey,
  referenceSampleKey,
  validateAdvance,
  validateAdvanceEnds,
  validateCommits,
  validateDriftBatch,
  validatePerfDeltas,
} from './requests.js';
import type {
  AdvanceEndsRequest,
  AdvanceRequest,
  BucketDeltas,
  Scope,
  DriftApplyReply,
  DriftBatch,
  EvaluationCommit,
  EvaluationInput,
  MonitorState,
  OutboxEntry,
  PerfDeltaBatch,
  PerfDeltaReply,
  Stored,
} from './types.js';

export interface RedisMonitorStateOptions {
  /** Whether close() also closes the client; true when the state created it. */
  ownsClient?: boolean;
}

type Reply = unknown[];

function asArray(reply: unknown, script: string): Reply {
  if (!Array.isArray(reply)) throw new Error(`${script} returned an unexpected reply: ${String(reply)}`);
  return reply;
}

const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
const num = (value: unknown): number => Number(text(value));

function flatToNumbers(flat: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const list = flat as unknown[];
  for (let i = 0; i < list.length; i += 2) out[text(list[i])] = num(list[i + 1]);
  return out;
}

/** The alert hash of a scope split as EvaluationInput carries it. */
function alertFields(alerts: unknown[]): Pick<EvaluationInput, 'alertStates' | 'detectorState' | 'detectorStates'> {
  const alertStates: Record<string, string> = {};
  let detectorState: string | null = null;
  const detectorStates: Record<string, string> = {};
  for (let i = 0; i < alerts.length; i += 2) {
    const field = text(alerts[i]);
    const value = text(alerts[i + 1]);
    if (field === DETECTOR_FIELD) detectorState = value;
    else if (field.startsWith(VERSION_DETECTOR_PREFIX)) detectorStates[field.slice(VERSION_DETECTOR_PREFIX.length)] = value;
    else if (!field.startsWith('~')) alertStates[field] = value;
  }
  return { alertStates, detectorState, detectorStates };
}

export class RedisMonitorState implements MonitorState {
  private readonly ownsClient: boolean;
  private readonly applyDrift: LuaCommand;
  private readonly applyDeltas: LuaCommand;
  private readonly advanceScript: LuaCommand;
  private readonly commit: LuaCommand;

  static async connect(config: string | RedisConnectionConfig, options: { logger?: ConnectionLogger } = {}): Promise<RedisMonitorState> {
    return new RedisMonitorState(await connectRedis(config, options), { ownsClient: true });
  }

  constructor(
    readonly client: RedisClient,
    options: RedisMonitorStateOptions = {},
  ) {
    this.ownsClient = options.ownsClient ?? false;
    const base = import.meta.url;
    this.applyDrift = defineLuaScript(client, base, { name: 'driftwatchApplyDriftBatch', file: './apply-drift-batch.lua', numberOfKeys: 'dynamic' });
    this.applyDeltas = defineLuaScript(client, base, { name: 'driftwatchApplyPerfDeltas', file: './apply-perf-deltas.lua', numberOfKeys: 'dynamic' });
    this.advanceScript = defineLuaScript(client, base, { name: 'driftwatchAdvance', file: './advance.lua', numberOfKeys: 'dynamic' });
    this.commit = defineLuaScript(client, base, { name: 'driftwatchCommitEvaluation', file: './commit-evaluation.lua', numberOfKeys: 'dynamic' });
  }

  async applyDriftBatch(batch: DriftBatch): Promise<DriftApplyReply> {
    const { windows, source } = validateDriftBatch(batch);
    const key = (k: string): string => modelKey(batch.model, k);
    const samples = batch.referenceSamples ?? [];
    const keys = [key(OFFSETS_KEY), key(clockKey('drift')), key(familiesKey('drift'))];
    const args: (string | number | Buffer)[] = [
      modelKey(batch.model, ''),
      source.field,
      source.offset,
      source.firstOffset,
      batch.maxEventTime,
      windows.retentionMs,
      windows.sourcePartitions,
      batch.caughtUp ? '1' : '0',
      windows.idleMs,
      windows.horizonsMs.length,
      ...windows.horizonsMs,
      samples.length,
    ];
    for (const sample of samples) {
      keys.push(key(referenceKey(sample.version)), key(referenceSampleKey(sample.version)));
      args.push(sample.cap, sample.rows.length);
      for (const row of sample.rows) args.push(row);
    }
    args.push(packDeltas(batch.deltas));
    const reply = asArray(await this.applyDrift(keys, args), 'apply-drift-batch.lua');
    const sizes = asArray(reply[5], 'apply-drift-batch.lua');
    const sampleSizes: Record<string, number> = {};
    samples.forEach((sample, i) => {
      sampleSizes[sample.version] = num(sizes[i]);
    });
    return {
      applied: num(reply[0]) === 1,
      recordedOffset: num(reply[1]),
      watermark: num(reply[2]),
      end: num(reply[3]),
      evaluated: num(reply[4]),
      sampleSizes,
    };
  }

  async applyPerfDeltas(batch: PerfDeltaBatch): Promise<PerfDeltaReply> {
    const { windows, source, pairedField, expected } = validatePerfDeltas(batch);
    const key = (k: string): string => modelKey(batch.model, k);
    const keys = [key(OFFSETS_KEY), key(clockKey('perf')), key(familiesKey('perf'))];
    const args: (string | number | Buffer)[] = [
      modelKey(batch.model, ''),
      source.field,
      source.offset,
      pairedField,
      expected === null ? '0' : '1',
      expected?.own ?? -1,
      expected?.paired ?? -1,
      batch.kind,
      batch.maxEventTime,
      windows.retentionMs,
      windows.sourcePartitions,
      batch.caughtUp ? '1' : '0',
      windows.idleMs,
      windows.horizonsMs.length,
      ...windows.horizonsMs,
    ];
    args.push(packDeltas(batch.deltas));
    const reply = asArray(await this.applyDeltas(keys, args), 'apply-perf-deltas.lua');
    return {
      applied: num(reply[0]) === 1,
      recordedOffset: num(reply[1]),
      pairedOffset: num(reply[2]),
      watermark: num(reply[3]),
      end: num(reply[4]),
      evaluated: num(reply[5]),
    };
  }

  async advance(request: AdvanceRequest): Promise<EvaluationInput> {
    const { model, scope, windows, to, read, closing } = request;
    validateAdvance(request);
    const [input] = await this.advanceEnds({ model, scope, windows, ends: [{ to, ...(read !== undefined ? { read } : {}) }], ...(closing !== undefined ? { closing } : {}) });
    return input!;
  }

  async advanceEnds(request: AdvanceEndsRequest): Promise<EvaluationInput[]> {
    const { windows, ends, closing } = validateAdvanceEnds(request);
    const key = (k: string): string => modelKey(request.model, k);
    const args: (string | number)[] = [
      modelKey(request.model, ''),
      windows.bucketMs,
      windows.rebuildEvery,
      windows.idleMs,
      windows.horizonsMs.length,
      ...windows.horizonsMs,
      closing.length,
      ...closing,
      ends.length,
    ];
    for (const end of ends) args.push(end.to, end.read.length, ...end.read);
    const reply = asArray(
      await this.advanceScript([key(clockKey(request.scope)), key(familiesKey(request.scope)), key(alertsKey(request.scope))], args),
      'advance.lua',
    );
    const alerts = asArray(reply[0], 'advance.lua');
    const families = asArray(reply[1], 'advance.lua').map(text);
    return ends.map((end, i) => {
      const one = asArray(reply[2 + i], 'advance.lua');
      // Each input its own copies: an evaluation may change what it was given.
      const { alertStates, detectorState, detectorStates } = alertFields(alerts);
      const result: EvaluationInput['windows'] = {};
      for (const family of families) result[family] = {};
      const flatWindows = asArray(one[3], 'advance.lua');
      for (let w = 0; w < flatWindows.length; w += 3) {
        const family = text(flatWindows[w]);
        (result[family] ??= {})[num(flatWindows[w + 1])] = flatToNumbers(flatWindows[w + 2]);
      }
      const closingBuckets: EvaluationInput['closing'] = {};
      const flatClosing = asArray(one[4], 'advance.lua');
      for (let c = 0; c < flatClosing.length; c += 2) closingBuckets[text(flatClosing[c])] = flatToNumbers(flatClosing[c + 1]);
      return {
        advanced: num(one[0]) === 1,
        from: num(one[1]),
        end: num(one[2]),
        windows: result,
        horizons: end.read,
        closing: closingBuckets,
        alertStates,
        detectorState,
        detectorStates,
      };
    });
  }

  async commitEvaluation(commit: EvaluationCommit): Promise<{ committed: boolean }> {
    const { committed } = await this.commitEvaluations([commit]);
    return { committed: committed[0]! };
  }

  async commitEvaluations(commits: EvaluationCommit[]): Promise<{ committed: boolean[] }> {
    const idle = validateCommits(commits);
    const { model, scope } = commits[0]!;
    const key = (k: string): string => modelKey(model, k);
    const args: (string | number | Buffer)[] = [commits.length];
    commits.forEach((commit, i) => {
      const states = Object.entries(commit.alertStates);
      args.push(commit.end, idle[i]!, states.length, ...states.flat());
      args.push(commit.detectorState === undefined ? '0' : '1', commit.detectorState ?? '');
      const detectors = Object.entries(commit.detectorStates ?? {});
      args.push(detectors.length, ...detectors.flat());
      args.push(commit.outbox.length, ...commit.outbox.map(encodeOutboxEntry));
    });
    const reply = asArray(await this.commit([key(clockKey(scope)), key(alertsKey(scope)), key(eventsOutboxKey(scope))], args), 'commit-evaluation.lua');
    return { committed: reply.map((r) => num(r) === 1) };
  }

  async readOutbox(model: string, scope: Scope, max: number): Promise<Stored<OutboxEntry>[]> {
    return (await this.readStream(model, eventsOutboxKey(scope), max)).map(({ id, value }) => ({ ...decodeOutboxEntry(value), id }));
  }

  async ackOutbox(model: string, scope: Scope, ids: string[]): Promise<void> {
    await this.deleteFromStream(model, eventsOutboxKey(scope), ids);
  }

  async getReference(model: string, version: string): Promise<string | null> {
    assertModelName(model);
    return this.client.get(modelKey(model, referenceKey(version)));
  }

  async setReference(model: string, version: string, json: string, options: { onlyIfAbsent?: boolean; idleMs?: number } = {}): Promise<boolean> {
    assertModelName(model);
    const ref = modelKey(model, referenceKey(version));
    const idleMs = referenceIdleMs(options.idleMs);
    // One MULTI so the sample never outlives a stored reference (the drift script stops
    // appending once the reference exists).
    const transaction = this.client.multi();
    if (options.onlyIfAbsent) {
      if (idleMs > 0) transaction.set(ref, json, 'PX', idleMs, 'NX');
      else transaction.set(ref, json, 'NX');
    } else if (idleMs > 0) transaction.set(ref, json, 'PX', idleMs);
    else transaction.set(ref, json);
    transaction.del(modelKey(model, referenceSampleKey(version)));
    const results = await transaction.exec();
    const [setResult] = results ?? [];
    if (setResult?.[0]) throw setResult[0];
    return setResult?.[1] === 'OK';
  }

  async readReferenceSample(model: string, version: string): Promise<string[]> {
    assertModelName(model);
    return this.client.lrange(modelKey(model, referenceSampleKey(version)), 0, -1);
  }

  async readBuckets(model: string, family: string, start: number, end: number, bucketMs: number): Promise<Record<string, number>> {
    assertModelName(model);
    assertBucketStart(start, bucketMs, 'readBuckets start');
    const pipeline = this.client.pipeline();
    for (let b = start; b < end; b += bucketMs) pipeline.hgetall(modelKey(model, bucketKey(family, b)));
    const sum: Record<string, number> = {};
    for (const [error, hash] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      for (const [field, value] of Object.entries(hash as Record<string, string>)) sum[field] = (sum[field] ?? 0) + Number(value);
    }
    return sum;
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /** Oldest first; each outbox entry is one stream entry whose field `m` holds the framed value. */
  private async readStream(model: string, stream: string, max: number): Promise<{ id: string; value: Buffer }[]> {
    assertModelName(model);
    if (!Number.isSafeInteger(max) || max <= 0) return [];
    const entries = await this.client.xrangeBuffer(modelKey(model, stream), '-', '+', 'COUNT', max);
    return entries.map(([id, flat]) => ({ id: id.toString('utf8'), value: (flat[1] as Buffer | undefined) ?? Buffer.alloc(0) }));
  }

  private async deleteFromStream(model: string, stream: string, ids: string[]): Promise<void> {
    assertModelName(model);
    if (ids.length === 0) return;
    for (const id of ids) assertStreamId(id);
    await this.client.xdel(modelKey(model, stream), ...ids);
  }
}

// One encoder for every apply: it keeps its buffer between calls.
const deltaEncoder = new Encoder();

/**
 * The families and the delta groups, packed with MessagePack into the one last argument that
 * apply-drift-batch.lua and apply-perf-deltas.lua unpack with cmsgpack: `[families, groups]`,
 * each group `[family, bucketStart, counters]` with counters a map of field to increment.
 * One argument instead of a RESP string per family, field and value (tens of thousands in a
 * catch-up batch), which ioredis built and Redis parsed one by one. Increments go as
 * MessagePack integers or float64, so Lua gets the exact doubles (as tonumber of
 * String(n) did); counters is the caller's own object (no copy).
 */
function packDeltas(deltas: readonly BucketDeltas[]): Buffer {
  const families = [...new Set(deltas.map((d) => d.family))];
  const groups = deltas.map((d) => [d.family, d.bucketStart, d.counters]);
  // A copy out of the encoder's buffer: ioredis may hold the argument past this call (offline
  // queue, the EVAL resent after NOSCRIPT) while the next apply reuses that buffer.
  const packed = deltaEncoder.encode([families, groups]);
  return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
}

export function referenceIdleMs(idleMs: number | undefined): number {
  const ms = idleMs ?? 0;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new InvalidBatchError(`idleMs must be a non-negative integer, got ${ms}`);
  return ms;
}

export function assertStreamId(id: string): void {
  if (!/^\d+-\d+$/.test(id)) throw new InvalidBatchError(`stream entry id must look like <ms>-<seq>, got ${JSON.stringify(id)}`);
}
