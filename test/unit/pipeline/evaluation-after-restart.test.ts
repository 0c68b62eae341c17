// Evaluations run beside the batches (background-evaluations.ts): a batch commits once Redis
// applied it, so a process can stop with window ends applied but not evaluated. The next process
// must evaluate them when it first reads the partition's record, not only when a new event comes.
import { describe, expect, it } from 'vitest';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import { clockKey } from '../../../shared/monitor-state/requests.js';
import type { AdvanceEndsRequest, EvaluationInput } from '../../../shared/monitor-state/types.js';
import { modelKey } from '../../../shared/store/types.js';
import { labelOf, MODEL, NOW, prediction, setup } from './performance-pipeline-fixture.js';

/** A state whose evaluations fail while `outage` is set (its applies go through). */
class EvaluationOutage extends MemoryMonitorState {
  outage = true;
  override async advanceEnds(request: AdvanceEndsRequest): Promise<EvaluationInput[]> {
    if (this.outage) throw new Error('Connection is closed.');
    return super.advanceEnds(request);
  }
}

function evaluatedEnd(state: MemoryMonitorState): number {
  return Number(state.keyspace.get(modelKey(MODEL, clockKey('perf')))?.fields.get('evaluated') ?? 0);
}

describe('PerformancePipeline after a restart', () => {
  it('evaluates the ends a stopped process applied but did not evaluate, with no new event', async () => {
    // 60 predictions a second apart: several 10-second ends become reachable.
    const events = Array.from({ length: 60 }, (_, i) => prediction(i, { eventTime: NOW - 120_000 + i * 1_000 }));
    const labels = events.map(labelOf);
    const state = new EvaluationOutage();
    const first = setup(events, state, labels);
    // The scope's watermark moves once both topics' partitions were read.
    await first.pipeline.handleBatch(first.batch);
    await first.pipeline.handleBatch(first.labelsBatch);
    // The batch is applied (and would be committed); its evaluation failed and waits for a retry.
    expect(first.pipeline.background.inFlight).toBe(1);
    await first.pipeline.background.stop();
    expect(evaluatedEnd(state)).toBe(0);

    // A new process reads the partition again from Redis's record: every event is counted already.
    state.outage = false;
    const second = setup(events, state, labels);
    await second.pipeline.handleBatch(second.batch);
    await second.pipeline.handleBatch(second.labelsBatch);
    await second.pipeline.background.idle();
    const watermark = Math.min(NOW - 120_000 + 59 * 1_000, labels.at(-1)!.eventTime);
    // The last end reachable: the bucket start of the watermark less the allowed lateness (10 s).
    expect(evaluatedEnd(state)).toBe(Math.floor((watermark - 10_000) / 10_000) * 10_000);
  });
});
