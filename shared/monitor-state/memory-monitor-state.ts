// MonitorState in process memory for embedded mode: the twin of RedisMonitorState. Each Lua
// script's twin lives beside the script (memory-apply-perf-deltas.ts next to
// apply-perf-deltas.lua, ..., memory-lib-counters.ts for lib-counters.lua and lib-offsets.lua),
// step for step in the script's order, so sums agree bit for bit and both pass
// test/contract/monitor-state.contract.ts. This class only composes them: counter hashes
// (offsets, buckets, windows, clocks) live in a MemoryKeyspace shared with MemoryStore,
// everything else in the keyspace's MemoryObjects. Each method runs synchronously after its
// checks, so no other caller interleaves, as with a Lua script.
import { MemoryKeyspace } from '../store/memory-store.js';
import { assertModelName } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';
import { decodeOutboxEntry } from './framing.js';
import { advanceEndsInMemory, advanceInMemory } from './memory-advance.js';
import { applyDriftBatchInMemory } from './memory-apply-drift-batch.js';
import { applyPerfDeltasInMemory } from './memory-apply-perf-deltas.js';
import { commitEvaluationInMemory, commitEvaluationsInMemory } from './memory-commit-evaluation.js';
import type { MemoryScriptState } from './memory-lib-counters.js';
import { MemoryObjects } from './memory-objects.js';
import { deleteFromStream, readStream } from './memory-streams.js';
import { referenceIdleMs } from './redis-monitor-state.js';
import { assertBucketStart, bucketKey, eventsOutboxKey, referenceKey, referenceSampleKey } from './requests.js';
import type {
  AdvanceEndsRequest,
  AdvanceRequest,
  DriftApplyReply,
  DriftBatch,
  EvaluationCommit,
  EvaluationInput,
  MonitorState,
  OutboxEntry,
  PerfDeltaBatch,
  PerfDeltaReply,
  Scope,
  Stored,
} from './types.js';


export class MemoryMonitorState implements MonitorState {
  private readonly objects: MemoryObjects;
  private readonly scripts: MemoryScriptState;
  private closed = false;

  constructor(readonly keyspace: MemoryKeyspace = new MemoryKeyspace()) {
    this.objects = MemoryObjects.of(keyspace);
    this.scripts = { keyspace, objects: this.objects };
  }

  async applyDriftBatch(batch: DriftBatch): Promise<DriftApplyReply> {
    this.assertOpen();
    return applyDriftBatchInMemory(this.scripts, batch);
  }

  async applyPerfDeltas(batch: PerfDeltaBatch): Promise<PerfDeltaReply> {
    this.assertOpen();
    return applyPerfDeltasInMemory(this.scripts, batch);
  }

  async advance(request: AdvanceRequest): Promise<EvaluationInput> {
    this.assertOpen();
    return advanceInMemory(this.scripts, request);
  }

  async commitEvaluation(commit: EvaluationCommit): Promise<{ committed: boolean }> {
    this.assertOpen();
    return commitEvaluationInMemory(this.scripts, commit);
  }

  async advanceEnds(request: AdvanceEndsRequest): Promise<EvaluationInput[]> {
    this.assertOpen();
    return advanceEndsInMemory(this.scripts, request);
  }

  async commitEvaluations(commits: EvaluationCommit[]): Promise<{ committed: boolean[] }> {
    this.assertOpen();
    return commitEvaluationsInMemory(this.scripts, commits);
  }

  async readOutbox(model: string, scope: Scope, max: number): Promise<Stored<OutboxEntry>[]> {
    this.assertOpen();
    return readStream(this.objects, model, eventsOutboxKey(scope), max).map(({ id, value }) => ({ ...decodeOutboxEntry(value), id }));
  }

  async ackOutbox(model: string, scope: Scope, ids: string[]): Promise<void> {
    this.assertOpen();
    deleteFromStream(this.objects, model, eventsOutboxKey(scope), ids);
  }

  async getReference(model: string, version: string): Promise<string | null> {
    this.assertOpen();
    assertModelName(model);
    return this.objects.get<string>(modelKey(model, referenceKey(version))) ?? null;
  }

  async setReference(model: string, version: string, json: string, options: { onlyIfAbsent?: boolean; idleMs?: number } = {}): Promise<boolean> {
    this.assertOpen();
    assertModelName(model);
    const ref = modelKey(model, referenceKey(version));
    const idleMs = referenceIdleMs(options.idleMs);
    const stored = !(options.onlyIfAbsent && this.objects.get<string>(ref) !== undefined);
    if (stored) this.objects.set(ref, json, idleMs > 0 ? idleMs : undefined);
    this.objects.delete(modelKey(model, referenceSampleKey(version)));
    return stored;
  }

  async readReferenceSample(model: string, version: string): Promise<string[]> {
    this.assertOpen();
    assertModelName(model);
    return [...(this.objects.get<string[]>(modelKey(model, referenceSampleKey(version))) ?? [])];
  }

  async readBuckets(model: string, family: string, start: number, end: number, bucketMs: number): Promise<Record<string, number>> {
    this.assertOpen();
    assertModelName(model);
    assertBucketStart(start, bucketMs, 'readBuckets start');
    const sum: Record<string, number> = {};
    for (let b = start; b < end; b += bucketMs) {
      for (const [field, value] of this.keyspace.get(modelKey(model, bucketKey(family, b)))?.fields ?? []) sum[field] = (sum[field] ?? 0) + value;
    }
    return sum;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryMonitorState is closed');
  }
}
