import { describe, expect, it } from 'vitest';
import { OutcomeCounters } from '../../../shared/join/outcome-counters.js';
import { DeltaAccumulator } from '../../../shared/join/delta-accumulator.js';
import { FieldSlots, fixedSlot } from '../../../shared/join/field-slots.js';
import type { BucketDeltas } from '../../../shared/monitor-state/types.js';
import { ConfusionMatrix, RegressionSums, seededRandom, type RandomSource } from '../../../shared/stats/window/index.js';
import { classificationBatch, referenceDeltas, slotDeltas, type JoinedOutcome, type OutcomeBatch } from '../../support/outcome-batches.js';
import { ReferenceOutcomeCounters } from '../../support/reference-outcome-deltas.js';

const T0 = 1_700_000_000_000;
const BUCKET_MS = 60_000;
/** Names that are special somewhere: object keys, the field separator and its escape, nothing at all. */
const CLASS_NAMES = ['yes', 'no', '__proto__', 'constructor', 'a|b', '%', '', 'toString', 'c|d%7C', 'é', '😀', 'hasOwnProperty'];

/** Bit-for-bit: same groups in the same order, same fields in the same order, every value Object.is-equal. */
function expectSameDeltas(actual: BucketDeltas[], expected: BucketDeltas[]): void {
  expect(actual.map((d) => [d.family, d.bucketStart])).toEqual(expected.map((d) => [d.family, d.bucketStart]));
  actual.forEach((d, i) => {
    const want = expected[i]!.counters;
    expect(Object.keys(d.counters)).toEqual(Object.keys(want));
    for (const field of Object.keys(want)) {
      if (!Object.is(d.counters[field], want[field])) {
        throw new Error(`${d.family} @ ${d.bucketStart} ${JSON.stringify(field)}: ${d.counters[field]} but the reference summed ${want[field]}`);
      }
    }
  });
}

const pick = <T>(random: RandomSource, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

/** A probability: often on the score grid or its half-way points (where rounding decides the bin), sometimes exactly 0 or 1. */
function probability(random: RandomSource, bins: number): number {
  const r = random();
  if (r < 0.1) return 0;
  if (r < 0.2) return 1;
  if (r < 0.35) return Math.floor(random() * (bins + 1)) / bins;
  if (r < 0.5) return (Math.floor(random() * bins) + 0.5) / bins;
  return random();
}

/** A regression value: ordinary, tiny (below MAPE's eps), zero of either sign, or large enough that a square overflows. */
function regressionValue(random: RandomSource): number {
  const r = random();
  if (r < 0.05) return 0;
  if (r < 0.08) return -0;
  if (r < 0.15) return (random() - 0.5) * 1e-17;
  if (r < 0.18) return (random() < 0.5 ? -1 : 1) * 1e160;
  if (r < 0.5) return (random() - 0.5) * 1e6;
  return random() * 10;
}

function randomBatch(random: RandomSource, bins: number): OutcomeBatch {
  const classes = CLASS_NAMES.slice(0, 2 + Math.floor(random() * (CLASS_NAMES.length - 1)));
  const versions = ['1', '2', 'v|3', '__proto__'].slice(0, 1 + Math.floor(random() * 4));
  const buckets = 1 + Math.floor(random() * 40);
  const bucket = (): number => T0 + Math.floor(random() * buckets) * BUCKET_MS;
  const regressionShare = pick(random, [0, 0, 0.3, 1]);
  const counted = Array.from({ length: Math.floor(random() * 200) }, () => ({ version: pick(random, versions), bucketStart: bucket() }));
  const joined: JoinedOutcome[] = [];
  const n = Math.floor(random() * 600);
  // Runs of outcomes in one bucket, as a batch mostly is, broken by jumps to any other.
  let at = bucket();
  for (let i = 0; i < n; i += 1) {
    if (random() < 0.3) at = bucket();
    const version = pick(random, versions);
    if (random() < regressionShare) {
      joined.push({ version, bucketStart: at, trueValue: regressionValue(random), predictedValue: regressionValue(random) });
      continue;
    }
    let probabilities: Record<string, number> | null = null;
    if (random() < 0.8) {
      probabilities = {};
      // Some maps lack the true class or most classes: the true class is then scored 0.
      for (const c of classes) if (random() < 0.8) probabilities[c] = probability(random, bins);
    }
    joined.push({ version, bucketStart: at, trueClass: pick(random, classes), predictedClass: pick(random, classes), probabilities });
  }
  return { counted, joined };
}

describe('outcome deltas summed by field slot', () => {
  it('equal the name-keyed reference bit for bit over random classification and regression batches', () => {
    const random = seededRandom(20240611);
    for (const bins of [100, 7, 1]) {
      // One OutcomeCounters per model across its batches, as the service keeps it: later batches reuse the slots.
      const outcomes = new OutcomeCounters(bins);
      const reference = new ReferenceOutcomeCounters(bins);
      let failed = 0;
      for (let b = 0; b < 60; b += 1) {
        const batch = randomBatch(random, bins);
        const actual = slotDeltas(outcomes, batch);
        const expected = referenceDeltas(reference, batch);
        expectSameDeltas(actual.deltas, expected.deltas);
        expect(actual.failed).toBe(expected.failed);
        failed += actual.failed;
      }
      // The overflow path was taken (its outcomes leave nothing behind, not even an empty group).
      expect(failed).toBeGreaterThan(0);
    }
  });

  it('equal the reference across resets of the remembered fields', () => {
    const random = seededRandom(7);
    // A tiny bound: the field slots start over between most batches.
    const outcomes = new OutcomeCounters(100, 50);
    const reference = new ReferenceOutcomeCounters(100);
    const generations = new Set<number>();
    for (let b = 0; b < 30; b += 1) {
      const batch = randomBatch(random, 100);
      expectSameDeltas(slotDeltas(outcomes, batch).deltas, referenceDeltas(reference, batch).deltas);
      generations.add(outcomes.fields.generation);
    }
    expect(generations.size).toBeGreaterThan(5);
  });

  it('sum what ConfusionMatrix and RegressionSums sum for each bucket', () => {
    const random = seededRandom(99);
    const batch = randomBatch(random, 100);
    batch.joined.push(...classificationBatch(random, { outcomes: 2000, buckets: 5, bucketMs: BUCKET_MS, versions: 2, classes: ['a', 'b', 'c'], withProbabilities: 0.9 }, T0).joined);
    const deltas = slotDeltas(new OutcomeCounters(), batch).deltas;
    const matrices = new Map<string, ConfusionMatrix>();
    const sums = new Map<string, RegressionSums>();
    for (const j of batch.joined) {
      const key = `perf:${j.version}@${j.bucketStart}`;
      if ('trueClass' in j) {
        if (!matrices.has(key)) matrices.set(key, new ConfusionMatrix());
        matrices.get(key)!.update(j.trueClass, j.predictedClass, j.probabilities);
      } else {
        // An outcome that overflows is dead-lettered by the service, not summed.
        const one = new RegressionSums();
        one.update(j.trueValue, j.predictedValue);
        if (!Object.values(one.toCounters()).every(Number.isFinite)) continue;
        if (!sums.has(key)) sums.set(key, new RegressionSums());
        sums.get(key)!.update(j.trueValue, j.predictedValue);
      }
    }
    let compared = 0;
    for (const d of deltas) {
      if (!d.family.startsWith('perf:')) continue;
      const key = `${d.family}@${d.bucketStart}`;
      const expected = { ...(matrices.get(key)?.toCounters() ?? {}), ...(sums.get(key)?.toCounters() ?? {}) };
      expect(expected).not.toEqual({});
      for (const [field, value] of Object.entries(expected)) {
        expect(Object.is(d.counters[field], value), `${key} ${field}`).toBe(true);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});

describe('DeltaAccumulator', () => {
  it('sends a field added to as 0 and keeps the order fields and groups were first added in', () => {
    const fields = new FieldSlots();
    const x = fields.add('x');
    const deltas = new DeltaAccumulator(fields);
    deltas.add('cov:1', 20, fixedSlot('l'), 1);
    deltas.add('perf:1', 10, x, 0.5);
    deltas.add('perf:1', 10, fixedSlot('~ll'), 0.1);
    deltas.add('cov:1', 10, fixedSlot('n'), 1);
    deltas.add('perf:1', 10, x, -0.5);
    deltas.add('perf:1', 10, fixedSlot('~ll'), 0.2);
    deltas.add('cov:1', 20, fixedSlot('n'), 2);
    const out = deltas.toDeltas();
    expect(out.map((d) => [d.family, d.bucketStart, Object.entries(d.counters)])).toEqual([
      ['cov:1', 20, [['l', 1], ['n', 2]]],
      ['cov:1', 10, [['n', 1]]],
      ['perf:1', 10, [['x', 0], ['~ll', 0.1 + 0.2]]],
    ]);
    expect(Object.getPrototypeOf(out[0]!.counters)).toBeNull();
  });

  it('grows a group for slots added after it was made', () => {
    const fields = new FieldSlots();
    const deltas = new DeltaAccumulator(fields);
    deltas.add('perf:1', 0, fixedSlot('pn'), 1);
    const late = Array.from({ length: 300 }, (_, i) => fields.add(`f${i}`));
    for (const slot of late) deltas.add('perf:1', 0, slot, slot);
    const counters = deltas.toDeltas()[0]!.counters;
    expect(Object.keys(counters)).toHaveLength(301);
    expect(counters.f299).toBe(late[299]);
  });

  it('keeps every field of a group that outgrows its short arrays with slots from anywhere in the table', () => {
    const fields = new FieldSlots();
    const named = Array.from({ length: 40 }, (_, i) => fields.add(`f${i}`));
    const deltas = new DeltaAccumulator(fields);
    // Highest slots first, past the short arrays, then again: each field once, summed.
    const order = [...named].reverse();
    for (const slot of [...order, ...order]) deltas.add('perf:1', 0, slot, 0.25);
    const counters = deltas.toDeltas()[0]!.counters;
    expect(Object.keys(counters)).toEqual(order.map((slot) => fields.name(slot)));
    expect(Object.values(counters).every((v) => v === 0.5)).toBe(true);
  });

  it('refuses to name its slots once they were reset under it', () => {
    const outcomes = new OutcomeCounters(100, 0);
    const deltas = outcomes.accumulator();
    outcomes.classification('a', 'b', null, deltas.group('perf:1', 0));
    outcomes.accumulator(); // over the bound: starts over, while `deltas` still holds the old slots
    expect(() => deltas.toDeltas()).toThrow(/reset/);
  });
});
