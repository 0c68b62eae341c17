import { describe, expect, it } from 'vitest';
import {
  addCounters,
  CategoricalCounts,
  ConfusionMatrix,
  isFloatCounter,
  NumericHistogram,
  RegressionSums,
  seededRandom,
  type Counters,
} from '../../../../shared/stats/window/index.js';

const random = seededRandom(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
const labels = ['a', 'b|c', '', '%'];

function randomMatrix(n: number): ConfusionMatrix {
  const cm = new ConfusionMatrix({ scoreBins: 20 });
  for (let i = 0; i < n; i++) {
    const p = Math.round(random() * 20) / 20;
    cm.update(pick(labels), pick(labels), random() < 0.7 ? { a: p, '': 1 - p } : undefined);
  }
  return cm;
}

function randomRegression(n: number): RegressionSums {
  const s = new RegressionSums();
  for (let i = 0; i < n; i++) s.update(random() < 0.1 ? 0 : random() * 10 - 5, random() * 10 - 5);
  return s;
}

const edges = [-1, 0, 0.5, 2];
function randomHistogram(n: number): NumericHistogram {
  const h = new NumericHistogram(edges);
  for (let i = 0; i < n; i++) h.update(random() < 0.1 ? null : random() * 4 - 2);
  return h;
}

const vocabulary = ['red', 'green', 'x|y'];
function randomCategorical(n: number): CategoricalCounts {
  const c = new CategoricalCounts(vocabulary);
  for (let i = 0; i < n; i++) c.update(random() < 0.1 ? null : pick([...vocabulary, 'blue', 'pink']));
  return c;
}

/** Counter records compared with a tolerance for float sums, exactly for counts. */
function expectSameCounters(actual: Counters, expected: Counters): void {
  const fields = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  for (const f of fields) {
    const a = actual[f] ?? 0;
    const e = expected[f] ?? 0;
    if (isFloatCounter(f)) expect(Math.abs(a - e), f).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
    else expect(a, f).toBe(e);
  }
}

interface CounterState<T> {
  merge(o: T): T;
  subtract(o: T): T;
  clone(): T;
  toCounters(): Counters;
}

const kinds: [string, (n: number) => CounterState<unknown>, (c: Counters) => CounterState<unknown>][] = [
  ['ConfusionMatrix', randomMatrix, (c) => ConfusionMatrix.fromCounters(c, { scoreBins: 20 })],
  ['RegressionSums', randomRegression, (c) => RegressionSums.fromCounters(c)],
  ['NumericHistogram', randomHistogram, (c) => NumericHistogram.fromCounters(edges, c)],
  ['CategoricalCounts', randomCategorical, (c) => CategoricalCounts.fromCounters(vocabulary, c)],
];

describe.each(kinds)('%s as window state', (_name, make, fromCounters) => {
  it('merges exactly like adding counters', () => {
    const a = make(50);
    const b = make(30);
    const merged = (a.clone() as CounterState<unknown>).merge(b) as CounterState<unknown>;
    const summed = addCounters({ ...a.toCounters() }, b.toCounters());
    expectSameCounters(merged.toCounters(), summed);
    expectSameCounters(fromCounters(summed).toCounters(), summed);
  });

  it('subtract undoes merge', () => {
    const a = make(40);
    const b = make(25);
    const roundTrip = (a.clone() as CounterState<unknown>).merge(b) as CounterState<unknown>;
    roundTrip.subtract(b);
    expectSameCounters(roundTrip.toCounters(), a.toCounters());
  });

  it('an emptied state serializes to no fields', () => {
    const a = make(20);
    const empty = (a.clone() as CounterState<unknown>).subtract(a) as CounterState<unknown>;
    expect(empty.toCounters()).toEqual({});
  });

  it('does not alias: a clone is independent of its source', () => {
    const a = make(10);
    const before = a.toCounters();
    (a.clone() as CounterState<unknown>).merge(make(10));
    expect(a.toCounters()).toEqual(before);
  });

  it('reads counters written as strings, as HGETALL returns them', () => {
    const a = make(15);
    const asStrings = Object.fromEntries(Object.entries(a.toCounters()).map(([k, v]) => [k, String(v)]));
    expectSameCounters(fromCounters(asStrings as unknown as Counters).toCounters(), a.toCounters());
  });

  it('rejects fields it does not know', () => {
    expect(() => fromCounters({ 'zz|what': 1 })).toThrow(RangeError);
  });
});

describe('state configuration must agree', () => {
  it('refuses to combine different bin settings or vocabularies', () => {
    expect(() => new ConfusionMatrix({ scoreBins: 10 }).merge(new ConfusionMatrix({ scoreBins: 20 }))).toThrow(RangeError);
    expect(() => new NumericHistogram([0, 1]).merge(new NumericHistogram([0, 2]))).toThrow(RangeError);
    expect(() => new CategoricalCounts(['a']).merge(new CategoricalCounts(['b']))).toThrow(RangeError);
    expect(() => new NumericHistogram([0, 0])).toThrow(RangeError);
    expect(() => new ConfusionMatrix().update('a', 'a', { a: 1.5 })).toThrow(RangeError);
  });
});

describe('ConfusionMatrix', () => {
  it('drops labels whose cells were all subtracted away', () => {
    const old = new ConfusionMatrix();
    old.update('gone', 'a', { gone: 0.3, a: 0.7 });
    const recent = new ConfusionMatrix();
    recent.update('a', 'a', { a: 0.5 });
    const window = old.clone().merge(recent).subtract(old);
    expect(window.labels()).toEqual(['a']);
    expect(window.scoreClasses()).toEqual(['a']);
    expect(window.logLossSum).toBeCloseTo(Math.LN2, 12);
    expect(window.brierSum).toBeCloseTo(0.25, 12);
    expect(window.probabilityCount).toBe(1);
  });

  it('gives classes missing from a probability map a score of zero', () => {
    const cm = new ConfusionMatrix({ scoreBins: 4 });
    cm.update('a', 'a', { a: 1 });
    cm.update('b', 'a', { a: 0.75 });
    const b = cm.scoreHistogram('b');
    expect(b.positives).toEqual([1, 0, 0, 0, 0]);
    expect(b.negatives).toEqual([1, 0, 0, 0, 0]);
    expect(cm.brierSum).toBeCloseTo(0 + 0.75 ** 2 + 1, 12);
  });
});

describe('CategoricalCounts', () => {
  it('takes the top-K of a reference, ties broken by name', () => {
    const c = CategoricalCounts.fromReference(
      [
        ['z', 5],
        ['b', 9],
        ['a', 5],
        ['never', 0],
        ['c', 1],
      ],
      3,
    );
    expect(c.vocabulary).toEqual(['b', 'a', 'z']);
    c.update('c');
    c.update('b');
    c.update(undefined);
    expect([c.vocabularyCounts(), c.other, c.missing, c.total]).toEqual([[1, 0, 0], 1, 1, 3]);
  });

  it('folds categories unknown to the reader into other', () => {
    const written = new CategoricalCounts(['a', 'b']);
    written.update('a');
    written.update('b');
    written.update('b');
    const read = CategoricalCounts.fromCounters(['a'], written.toCounters());
    expect([read.count('a'), read.other, read.total]).toEqual([1, 2, 3]);
  });

  it('caps the vocabulary size', () => {
    expect(() => new CategoricalCounts(['a', 'b', 'c'], 2)).toThrow(RangeError);
  });
});
