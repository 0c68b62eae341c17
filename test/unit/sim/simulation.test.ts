import { describe, expect, it } from 'vitest';
import type { LabelRecord, PredictionRecord } from '../../../shared/sdk/records.js';
import { driftingStream } from '../../../shared/sim/concepts/drift.js';
import { seaLabel } from '../../../shared/sim/concepts/index.js';
import {
  Simulation,
  labelledSample,
  simulate,
  type FeatureRow,
  type Scorer,
  type SimulationChunk,
  type SimulationOptions,
} from '../../../shared/sim/simulation.js';

/** A SEA-variant-0 "model" whose version the test can swap, recording its batch sizes. */
class FakeScorer implements Scorer {
  current = '1';
  batches: number[] = [];
  version(): string {
    return this.current;
  }
  predictBatch(rows: FeatureRow[]) {
    this.batches.push(rows.length);
    return rows.map((row) => {
      const p = seaLabel(row.x1 as number, row.x2 as number, 8) === '1' ? 0.9 : 0.1;
      return { predictedClass: p > 0.5 ? '1' : '0', probabilities: { '1': p, '0': 1 - p } };
    });
  }
}

const T0 = Date.UTC(2026, 0, 1);
const stream = (seed = 3, count?: number) =>
  driftingStream({ before: { kind: 'sea', variant: 0 }, after: { kind: 'sea', variant: 2 }, at: 1000, seed, count });

function options(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  return {
    stream: stream(3, 2000),
    scorer: new FakeScorer(),
    model: 'sea',
    startTime: T0,
    rate: 20,
    labelDelay: { minMs: 1_000, maxMs: 30_000 },
    seed: 5,
    ...overrides,
  };
}

const time = (r: PredictionRecord | LabelRecord): number => r.time as number;

describe('Simulation', () => {
  it('delivers time-ordered chunks, every label after its prediction with the right id and class', () => {
    const chunks = [...simulate({ ...options(), chunkMs: 7_000 })];
    const seen = new Map<string, { chunk: number; prediction: PredictionRecord }>();
    let lastPrediction = -Infinity;
    let lastLabel = -Infinity;
    const labels: LabelRecord[] = [];
    chunks.forEach((chunk, c) => {
      if (c > 0) expect(chunk.start).toBe(chunks[c - 1]!.end);
      for (const p of chunk.predictions) {
        expect(time(p)).toBeGreaterThan(chunk.start);
        expect(time(p)).toBeLessThanOrEqual(chunk.end);
        expect(time(p)).toBeGreaterThanOrEqual(lastPrediction);
        lastPrediction = time(p);
        expect(seen.has(p.id)).toBe(false);
        seen.set(p.id, { chunk: c, prediction: p });
      }
      for (const l of chunk.labels) {
        expect(time(l)).toBeGreaterThan(chunk.start);
        expect(time(l)).toBeLessThanOrEqual(chunk.end);
        expect(time(l)).toBeGreaterThanOrEqual(lastLabel);
        lastLabel = time(l);
        const origin = seen.get(l.predictionId);
        expect(origin, `label for ${l.predictionId} before its prediction`).toBeDefined();
        expect(origin!.chunk).toBeLessThanOrEqual(c);
        const delay = time(l) - time(origin!.prediction);
        expect(delay).toBeGreaterThanOrEqual(1_000);
        expect(delay).toBeLessThanOrEqual(30_000);
        labels.push(l);
      }
    });
    expect(seen.size).toBe(2000);
    expect(labels).toHaveLength(2000);
    expect(new Set(labels.map((l) => l.predictionId)).size).toBe(2000);
    // The true class is the stream's label of that very sample: SEA θ = 8 before index 1000, θ = 7 after.
    const truth = [...stream(3, 2000)];
    for (const l of labels) {
      const { prediction } = seen.get(l.predictionId)!;
      const index = Number(prediction.id.slice(prediction.id.lastIndexOf('-') + 1));
      expect(prediction.features).toEqual(truth[index]!.features);
      expect(l.trueClass).toBe(truth[index]!.label);
      expect(l.model).toBe('sea');
    }
  });

  it('spaces predictions at `rate` per second of event time', () => {
    const sim = new Simulation(options({ rate: 40 }));
    const { predictions } = sim.advanceTo(T0 + 10_000);
    expect(predictions).toHaveLength(401); // 0 .. 10 s inclusive, every 25 ms
    predictions.forEach((p, i) => expect(time(p)).toBe(T0 + i * 25));
    expect(sim.timeOf(1000)).toBe(T0 + 25_000);
  });

  it('stamps each prediction with the version the scorer reports when it scores', () => {
    const scorer = new FakeScorer();
    const sim = new Simulation(options({ scorer }));
    const before = sim.advanceTo(T0 + 20_000);
    scorer.current = '2';
    const after = sim.advanceTo(T0 + 40_000);
    expect(before.predictions.length).toBeGreaterThan(0);
    expect(after.predictions.length).toBeGreaterThan(0);
    expect(new Set(before.predictions.map((p) => p.modelVersion))).toEqual(new Set(['1']));
    expect(new Set(after.predictions.map((p) => p.modelVersion))).toEqual(new Set(['2']));
  });

  it('is deterministic for a seed and a scorer; another seed moves the label delays', () => {
    const run = (seed: number): SimulationChunk[] => [...simulate({ ...options({ seed }), chunkMs: 5_000 })];
    const a = run(5);
    expect(run(5)).toEqual(a);
    const b = run(6);
    const labelTimes = (chunks: SimulationChunk[]) => chunks.flatMap((c) => c.labels.map((l) => [l.predictionId, l.time]));
    expect(labelTimes(b)).not.toEqual(labelTimes(a));
    // The run id differs too, so two runs never share prediction ids.
    expect(b[0]!.predictions[0]!.id).not.toBe(a[0]!.predictions[0]!.id);
  });

  it('uses the run id as the prediction id prefix', () => {
    const sim = new Simulation(options({ runId: 'run-x' }));
    const ids = sim.advanceTo(T0 + 200).predictions.map((p) => p.id);
    expect(ids).toEqual(['run-x-0', 'run-x-1', 'run-x-2', 'run-x-3', 'run-x-4']);
  });

  it('scores in batches of at most maxBatch', () => {
    const scorer = new FakeScorer();
    const sim = new Simulation(options({ scorer, maxBatch: 64 }));
    sim.advanceTo(T0 + 60_000);
    expect(Math.max(...scorer.batches)).toBeLessThanOrEqual(64);
    expect(scorer.batches.reduce((a, b) => a + b, 0)).toBe(sim.predictions);
  });

  it('stops at count or when the stream ends, then drains the labels', () => {
    const sim = new Simulation(options({ stream: stream(3), count: 150 }));
    const all = sim.advanceTo(Infinity);
    expect(all.predictions).toHaveLength(150);
    expect(all.labels).toHaveLength(150);
    expect(sim.done).toBe(true);
    expect(sim.nextEventTime()).toBeNull();
    const finite = new Simulation(options({ stream: stream(3, 40) }));
    expect(finite.advanceTo(Infinity).predictions).toHaveLength(40);
    expect(finite.done).toBe(true);
  });

  it('labelShare leaves some predictions unlabelled without moving the others', () => {
    const full = new Simulation(options()).advanceTo(Infinity).labels;
    const half = new Simulation(options({ stream: stream(3, 2000), labelShare: 0.5 })).advanceTo(Infinity).labels;
    expect(half.length).toBeGreaterThan(850);
    expect(half.length).toBeLessThan(1150);
    const fullTimes = new Map(full.map((l) => [l.predictionId, l.time]));
    for (const l of half) expect(l.time).toBe(fullTimes.get(l.predictionId));
  });

  it('refuses bad options and a scorer that answers the wrong number of rows', () => {
    expect(() => new Simulation(options({ rate: 0 }))).toThrow(RangeError);
    expect(() => new Simulation(options({ labelDelay: { minMs: 10, maxMs: 5 } }))).toThrow(RangeError);
    const broken: Scorer = { version: () => '1', predictBatch: () => [] };
    expect(() => new Simulation(options({ scorer: broken })).advanceTo(T0 + 1000)).toThrow(/0 results for/);
  });
});

describe('labelledSample', () => {
  it('takes the next n samples with event times, consuming the stream', () => {
    const s = stream(9);
    const first = labelledSample(s, 100, { startTime: T0, rate: 10 });
    expect(first).toHaveLength(100);
    first.forEach((row, i) => expect(row.time).toBe(T0 + i * 100));
    const reference = [...stream(9, 200)];
    expect(first.map((r) => r.label)).toEqual(reference.slice(0, 100).map((r) => r.label));
    const next = labelledSample(s, 100);
    expect(next.map((r) => r.features)).toEqual(reference.slice(100, 200).map((r) => r.features));
    expect(labelledSample(stream(9, 30), 100)).toHaveLength(30);
  });
});
