// MonitorState over Redis: one Lua script call per operation on the hot path (apply,
// advance, commit), every key under the model's hash tag so the same code runs on a single
// node and on Redis Cluster.
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
  advanceReads,
  validateAdvance,
  validateDriftBatch,
  validatePerfDeltas,
} from './requests.js';
import type {
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
    const args: (string | number)[] = [
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
    pushDeltaArgs(args, batch.deltas);
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
    const args: (string | number)[] = [
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
    pushDeltaArgs(args, batch.deltas);
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
    const windows = validateAdvance(request);
    const { read, closing } = advanceReads(request, windows);
    const key = (k: string): string => modelKey(request.model, k);
    const reply = asArray(
      await this.advanceScript(
        [key(clockKey(request.scope)), key(familiesKey(request.scope)), key(alertsKey(request.scope))],
        [
          modelKey(request.model, ''),
          request.to,
          windows.bucketMs,
          windows.rebuildEvery,
          windows.idleMs,
          windows.horizonsMs.length,
          ...windows.horizonsMs,
          read.length,
          ...read,
          closing.length,
          ...closing,
        ],
      ),
      'advance.lua',
    );
    const result: EvaluationInput['windows'] = {};
    for (const family of asArray(reply[5], 'advance.lua')) result[text(family)] = {};
    const flatWindows = asArray(reply[3], 'advance.lua');
    for (let i = 0; i < flatWindows.length; i += 3) {
      const family = text(flatWindows[i]);
      (result[family] ??= {})[num(flatWindows[i + 1])] = flatToNumbers(flatWindows[i + 2]);
    }
    const closingBuckets: EvaluationInput['closing'] = {};
    const flatClosing = asArray(reply[6], 'advance.lua');
    for (let i = 0; i < flatClosing.length; i += 2) closingBuckets[text(flatClosing[i])] = flatToNumbers(flatClosing[i + 1]);
    const alerts = asArray(reply[4], 'advance.lua');
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
    return {
      advanced: num(reply[0]) === 1,
      from: num(reply[1]),
      end: num(reply[2]),
      windows: result,
      horizons: read,
      closing: closingBuckets,
      alertStates,
      detectorState,
      detectorStates,
    };
  }

  async commitEvaluation(commit: EvaluationCommit): Promise<{ committed: boolean }> {
    assertModelName(commit.model);
    if (!Number.isSafeInteger(commit.end) || commit.end <= 0) throw new InvalidBatchError(`commit end must be a positive integer, got ${commit.end}`);
    const key = (k: string): string => modelKey(commit.model, k);
    const states = Object.entries(commit.alertStates);
    for (const [field] of states) {
      if (field.startsWith('~')) throw new InvalidBatchError(`alert key ${field} may not start with "~" (reserved)`);
    }
    const idleMs = commitIdleMs(commit);
    const args: (string | number | Buffer)[] = [commit.end, idleMs, states.length, ...states.flat()];
    args.push(commit.detectorState === undefined ? '0' : '1', commit.detectorState ?? '');
    const detectors = Object.entries(commit.detectorStates ?? {});
    args.push(detectors.length, ...detectors.flat());
    args.push(commit.outbox.length, ...commit.outbox.map(encodeOutboxEntry));
    const reply = await this.commit([key(clockKey(commit.scope)), key(alertsKey(commit.scope)), key(eventsOutboxKey(commit.scope))], args);
    return { committed: num(reply) === 1 };
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

/** The families, then the delta groups, as apply-drift-batch.lua and apply-perf-deltas.lua read them. */
function pushDeltaArgs(args: (string | number)[], deltas: BucketDeltas[]): void {
  const families = [...new Set(deltas.map((d) => d.family))];
  args.push(families.length, ...families, deltas.length);
  for (const delta of deltas) {
    const fields = Object.keys(delta.counters);
    args.push(delta.family, delta.bucketStart, fields.length);
    for (const field of fields) args.push(field, String(delta.counters[field]));
  }
}

/** The commit's idle expiry, checked as the windows' is (0: none). */
export function commitIdleMs(commit: EvaluationCommit): number {
  const idleMs = commit.idleMs ?? 0;
  if (!Number.isSafeInteger(idleMs) || idleMs < 0) throw new InvalidBatchError(`idleMs must be a non-negative integer, got ${idleMs}`);
  return idleMs;
}

export function referenceIdleMs(idleMs: number | undefined): number {
  const ms = idleMs ?? 0;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new InvalidBatchError(`idleMs must be a non-negative integer, got ${ms}`);
  return ms;
}

export function assertStreamId(id: string): void {
  if (!/^\d+-\d+$/.test(id)) throw new InvalidBatchError(`stream entry id must look like <ms>-<seq>, got ${JSON.stringify(id)}`);
}
