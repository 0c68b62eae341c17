// EvaluationLoop with several window ends per round trip (issue 8, `endsPerRoundTrip`): every
// end is evaluated in order, each seeing the alert and detector states the previous end's
// evaluation left, exactly as with one advance and one commit per end; what is committed and
// published is the same; and the ends cost one advanceEnds and one commitEvaluations per chunk.
import { describe, expect, it } from 'vitest';
import type { EvaluationInput } from '../../../shared/monitor-state/types.js';
import type { EvaluationOutcome } from '../../../shared/pipeline/evaluation-loop.js';
import { evaluationLoopOver, windowsOf } from './evaluation-loop-fixture.js';

const S = 1_000;
const M = 60 * S;
const DAY0 = 19_675 * 24 * 60 * M;

/**
 * An evaluation whose outcome depends on the states it is given: a counter per alert key
 * (one key added every 7th end), the window sum, a version's detector every other end and
 * the legacy one every 5th, and one outbox entry per end naming all of it.
 */
async function evaluate(_model: string, input: EvaluationInput): Promise<EvaluationOutcome> {
  const step = (input.end - DAY0) / (10 * S);
  const sum = Object.values(input.windows['feat:1']?.[5 * M] ?? {}).reduce((a, b) => a + b, 0);
  const alertStates: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.alertStates)) alertStates[key] = String(Number(value) + 1);
  if (step % 7 === 0) alertStates[`k${step}`] = '0';
  const seen = JSON.stringify([input.end, sum, input.alertStates, input.detectorState, input.detectorStates]);
  return {
    alertStates,
    ...(step % 2 === 0 ? { detectorStates: { '1': `d${step}` } } : {}),
    ...(step % 5 === 0 ? { detectorState: `legacy${step}` } : {}),
    outbox: [{ topic: 'metrics', key: String(input.end), value: Buffer.from(seen), headers: {} }],
  };
}

describe('EvaluationLoop with several ends per round trip', () => {
  it('evaluates every end in order with the states the previous end left, and commits and publishes what one end per call does', async () => {
    const windows = windowsOf([{ window: '5m' }, { window: '1h', every: '1m' }]);
    const start = DAY0 + 3 * M;
    const run = async (options: { endsPerRoundTrip?: number }) => {
      const { memory, loop, calls, published } = await evaluationLoopOver({
        windows,
        start,
        buckets: 130,
        deltasAt: (i, bucketStart) => [{ family: 'feat:1', bucketStart, counters: { x: 1 + (i % 3), '~s': i / 7 } }],
        options,
      });
      const seen: EvaluationInput[] = [];
      const recording = (model: string, input: EvaluationInput) => {
        seen.push(structuredClone(input));
        return evaluate(model, input);
      };
      await loop.evaluateUpTo('m', 0, start + 10 * S, windows, recording);
      calls.clear();
      const evaluated = await loop.evaluateUpTo('m', start + 10 * S, start + 20 * M, windows, recording);
      const stored = await memory.advance({ model: 'm', scope: 'drift', windows, to: start + 20 * M });
      return { seen, evaluated, calls: Object.fromEntries(calls), published, stored };
    };

    const single = await run({});
    const batched = await run({ endsPerRoundTrip: 32 });
    expect(single.evaluated).toBe(119);
    expect(single.calls).toEqual({ advance: 119, commitEvaluation: 119, readOutbox: 1, ackOutbox: 1 });
    // The states move: alert keys accumulate and detectors change from end to end.
    expect(Object.keys(single.seen.at(-1)!.alertStates).length).toBeGreaterThan(10);
    expect(single.seen.at(-1)!.detectorState).toMatch(/^legacy/);

    expect(batched.evaluated).toBe(119);
    expect(batched.seen).toEqual(single.seen);
    expect(batched.published).toEqual(single.published);
    expect(batched.published).toHaveLength(120);
    expect(batched.stored).toEqual(single.stored);
    // 119 ends in chunks of 32: four advances and four commits.
    expect(batched.calls).toEqual({ advanceEnds: 4, commitEvaluations: 4, readOutbox: 1, ackOutbox: 1 });
  });

  it('skips the ends another instance already moved past and commits only the rest', async () => {
    const windows = windowsOf([{ window: '5m' }]);
    const start = DAY0 + 3 * M;
    const { memory, loop } = await evaluationLoopOver({
      windows,
      start,
      buckets: 30,
      deltasAt: (_i, bucketStart) => [{ family: 'feat:1', bucketStart, counters: { x: 1 } }],
      options: { endsPerRoundTrip: 8 },
    });
    const ends: number[] = [];
    const record = async (model: string, input: EvaluationInput) => {
      ends.push(input.end);
      return evaluate(model, input);
    };
    await loop.evaluateUpTo('m', 0, start + 10 * S, windows, record);
    // Another instance moved E and committed up to start + 1m.
    await memory.advance({ model: 'm', scope: 'drift', windows, to: start + M });
    await memory.commitEvaluation({ model: 'm', scope: 'drift', end: start + M, alertStates: {}, outbox: [] });
    ends.length = 0;
    const evaluated = await loop.evaluateUpTo('m', start + 10 * S, start + 2 * M, windows, record);
    // Ends before start + 1m are skipped; start + 1m is read again but fenced off at commit.
    expect(ends).toEqual(Array.from({ length: 7 }, (_, i) => start + M + i * 10 * S));
    expect(evaluated).toBe(6);
  });
});
