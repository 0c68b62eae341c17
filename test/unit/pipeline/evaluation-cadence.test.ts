// Issue 8's evaluation cadence: which horizons are read and reported at which window ends,
// live, after a gap (catch-up one end after another, capped) and for a model's first end;
// and that EvaluationLoop asks for exactly those in the advance, one per end.
import { describe, expect, it } from 'vitest';
import { parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import type { BucketDeltas, EvaluationInput } from '../../../shared/monitor-state/types.js';
import { evaluationEnds } from '../../../shared/pipeline/clock.js';
import { dueHorizons } from '../../../shared/pipeline/evaluation-cadence.js';
import { DEFAULT_MAX_CATCH_UP_STEPS } from '../../../shared/pipeline/evaluation-loop.js';
import { evaluationLoopOver, windowsOf } from './evaluation-loop-fixture.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
/** A midnight (UTC): the start of every cadence's cycle. */
const DAY0 = 19_675 * 24 * H;
const FIVE_M = 5 * M;

describe('evaluation cadence', () => {
  const cadenced = windowsOf([{ window: '5m' }, { window: '1h', every: '1m' }, { window: '24h', every: '10m' }]);

  it('reads a bare horizon at every end, and one with `every` at the ends that are multiples of it', () => {
    expect(dueHorizons(DAY0, cadenced)).toEqual([FIVE_M, H, 24 * H]);
    expect(dueHorizons(DAY0 + 10 * S, cadenced)).toEqual([FIVE_M]);
    expect(dueHorizons(DAY0 + 50 * S, cadenced)).toEqual([FIVE_M]);
    expect(dueHorizons(DAY0 + M, cadenced)).toEqual([FIVE_M, H]);
    expect(dueHorizons(DAY0 + 9 * M + 50 * S, cadenced)).toEqual([FIVE_M]);
    expect(dueHorizons(DAY0 + 10 * M, cadenced)).toEqual([FIVE_M, H, 24 * H]);
    expect(dueHorizons(DAY0 + 10 * S, windowsOf(['5m', '1h', '24h']))).toEqual([FIVE_M, H, 24 * H]);
    // Without a cadence (WindowSettings built by hand), every horizon at every end.
    expect(dueHorizons(DAY0 + 10 * S, { bucketMs: 10 * S, horizonsMs: [FIVE_M, H] })).toEqual([FIVE_M, H]);
  });

  it('is the built-in default: 5m every bucket, 1h every minute, 24h every 10 minutes; alerts on 5m at every end', () => {
    const settings = resolveModelConfig(parseMonitoringConfig({}), 'any');
    expect(settings.horizons.map((h) => [h.name, h.everyMs])).toEqual([
      ['5m', 10 * S],
      ['1h', M],
      ['24h', 10 * M],
    ]);
    expect(settings.evaluationHorizon).toEqual({ name: '5m', ms: FIVE_M, everyMs: 10 * S });
  });

  it('gives the evaluation horizon the cadence configured for it', () => {
    const settings = resolveModelConfig(
      parseMonitoringConfig({ models: { m: { horizons: ['5m', { window: '1h', every: '1m' }], evaluationHorizon: '1h' } } }),
      'm',
    );
    expect(settings.evaluationHorizon).toEqual({ name: '1h', ms: H, everyMs: M });
  });

  it('refuses an `every` that is not a multiple of the bucket, naming the horizon', () => {
    expect(() => parseMonitoringConfig({ models: { m: { bucketMs: '10s', horizons: [{ window: '1h', every: '15s' }], evaluationHorizon: '1h' } } })).toThrow(
      /models\.m\.horizons: 1h every 15s is not a multiple of bucketMs \(10000 ms\)/,
    );
    // bucketMs from `defaults` counts too.
    expect(() => parseMonitoringConfig({ defaults: { bucketMs: '1m' }, models: { m: { horizons: [{ window: '1h', every: '90s' }], evaluationHorizon: '1h' } } })).toThrow(
      /models\.m\.horizons: 1h every 90s is not a multiple of bucketMs/,
    );
    expect(() => parseMonitoringConfig({ models: { m: { horizons: [{ window: '1h', each: '1m' }] } } })).toThrow(/models\.m\.horizons\[0\]/);
    expect(() => parseMonitoringConfig({ models: { m: { horizons: ['5m', '1h', { window: '60m', every: '1m' }] } } })).toThrow(/models\.m\.horizons: 60m is listed twice/);
  });

  it('after a gap, reports each horizon at the same ends the live run would have, within the catch-up cap', () => {
    const due = (ends: number[]) => ({
      h1: ends.filter((e) => dueHorizons(e, cadenced).includes(H)),
      d1: ends.filter((e) => dueHorizons(e, cadenced).includes(24 * H)),
    });
    // A 25-minute gap: 150 ends, every one evaluated; 1h at each minute, 24h at each 10 minutes.
    const ends = evaluationEnds(DAY0 + 5 * S * 2, DAY0 + 25 * M + 10 * S, 10 * S, DEFAULT_MAX_CATCH_UP_STEPS);
    expect(ends).toHaveLength(150);
    expect(due(ends).h1).toEqual(Array.from({ length: 25 }, (_, i) => DAY0 + (i + 1) * M));
    expect(due(ends).d1).toEqual([DAY0 + 10 * M, DAY0 + 20 * M]);
    // A gap longer than the cap: only its last `maxSteps` ends, and among them the aligned ones.
    const capped = evaluationEnds(DAY0, DAY0 + 2 * H, 10 * S, 100);
    expect(capped[0]).toBe(DAY0 + 2 * H - 99 * 10 * S);
    expect(due(capped).d1).toEqual([DAY0 + 110 * M, DAY0 + 120 * M]);
    expect(due(capped).h1).toHaveLength(17);
    // A model's first evaluation is one end; its long horizons only if that end is aligned.
    expect(evaluationEnds(0, DAY0 + 30 * S, 10 * S, 100).map((e) => dueHorizons(e, cadenced))).toEqual([[FIVE_M]]);
    expect(evaluationEnds(0, DAY0 + 3 * M, 10 * S, 100).map((e) => dueHorizons(e, cadenced))).toEqual([[FIVE_M, H]]);
  });
});

describe('EvaluationLoop with a cadence', () => {
  it('reads only the due horizons and the closing bucket, in one advance per end, and commits each end once', async () => {
    const windows = windowsOf([{ window: '5m' }, { window: '1h', every: '1m' }, { window: '24h', every: '10m' }]);
    const start = DAY0 + 3 * M;
    // One bucket of `feat:1` and `pred:1` every 10 s for 20 minutes.
    const { loop, calls } = await evaluationLoopOver({
      windows,
      start,
      buckets: 120,
      deltasAt: (i, bucketStart): BucketDeltas[] => [
        { family: 'feat:1', bucketStart, counters: { x: 1 } },
        { family: 'pred:1', bucketStart, counters: { p: i } },
      ],
      options: { closing: ['pred:'] },
    });
    const seen: EvaluationInput[] = [];
    const evaluate = async (_model: string, input: EvaluationInput) => {
      seen.push(input);
      return { alertStates: {}, outbox: [] };
    };
    await loop.evaluateUpTo('m', 0, start + 10 * S, windows, evaluate);
    calls.clear();
    const target = start + 20 * M;
    const evaluated = await loop.evaluateUpTo('m', start + 10 * S, target, windows, evaluate);

    expect(evaluated).toBe(119);
    const inputs = seen.slice(1);
    expect(inputs.map((i) => i.end)).toEqual(evaluationEnds(start + 10 * S, target, 10 * S, DEFAULT_MAX_CATCH_UP_STEPS));
    for (const input of inputs) {
      expect(input.horizons, `horizons at ${input.end - DAY0}`).toEqual(dueHorizons(input.end, windows));
      for (const family of ['feat:1', 'pred:1']) expect(Object.keys(input.windows[family] ?? {}).map(Number)).toEqual(input.horizons);
      // The closing bucket [E - 10 s, E): pred:1's counter p is its index.
      expect(input.closing).toEqual({ 'pred:1': { p: (input.end - start) / (10 * S) - 1 } });
    }
    expect(inputs.filter((i) => i.horizons.includes(24 * H)).map((i) => i.end - DAY0)).toEqual([10 * M, 20 * M]);
    // Per end: one advance (the read) and one commit; the outbox is drained once per run.
    expect(Object.fromEntries(calls)).toEqual({ advance: 119, commitEvaluation: 119, readOutbox: 1 });
    // The 24h sum slid while unread: at DAY0 + 20m it holds the buckets from `start` (3m) on.
    const tenth = inputs.find((i) => i.end === DAY0 + 20 * M)!;
    expect(tenth.windows['feat:1']?.[24 * H]).toEqual({ x: (17 * M) / (10 * S) });
    expect(tenth.windows['feat:1']?.[FIVE_M]).toEqual({ x: FIVE_M / (10 * S) });
  });
});
