import { describe, expect, it } from 'vitest';
import { Reservoir, RollingWindow, seededRandom } from '../../../../shared/stats/window/index.js';

/** Pearson chi-square of observed counts against a uniform expectation. */
function chiSquareUniform(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
}

// 99.9% quantile of chi-square with 19 degrees of freedom: a fixed seed makes the tests
// deterministic, the bound keeps them meaningful (a biased sampler lands far above it).
const CHI2_19_999 = 43.82;

describe('Reservoir', () => {
  it('keeps everything until full, then at most capacity items', () => {
    const r = new Reservoir<number>(5, seededRandom(1));
    for (let i = 0; i < 3; i++) r.update(i);
    expect(r.items).toEqual([0, 1, 2]);
    for (let i = 3; i < 100; i++) r.update(i);
    expect(r.items.length).toBe(5);
    expect(r.seen).toBe(100);
    expect(new Set(r.items).size).toBe(5);
  });

  it('samples every position of a stream equally often', () => {
    const random = seededRandom(7);
    const hits = new Array<number>(20).fill(0);
    for (let trial = 0; trial < 4000; trial++) {
      const r = new Reservoir<number>(4, random);
      for (let i = 0; i < 20; i++) r.update(i);
      for (const x of r.items) hits[x] = (hits[x] as number) + 1;
    }
    expect(chiSquareUniform(hits)).toBeLessThan(CHI2_19_999);
  });

  it('merges into a uniform sample of the union, weighting each side by what it saw', () => {
    const random = seededRandom(11);
    const hits = new Array<number>(20).fill(0);
    for (let trial = 0; trial < 4000; trial++) {
      // 15 items on one side, 5 on the other: a merge that ignored weights would
      // over-sample the small side threefold.
      const big = new Reservoir<number>(4, random);
      const small = new Reservoir<number>(4, random);
      for (let i = 0; i < 15; i++) big.update(i);
      for (let i = 15; i < 20; i++) small.update(i);
      const merged = big.merge(small);
      expect(merged.seen).toBe(20);
      for (const x of merged.items) hits[x] = (hits[x] as number) + 1;
    }
    expect(chiSquareUniform(hits)).toBeLessThan(CHI2_19_999);
  });

  it('merges partly filled reservoirs without losing items', () => {
    const a = new Reservoir<string>(10, seededRandom(3));
    const b = new Reservoir<string>(10, seededRandom(4));
    a.update('x');
    b.update('y');
    b.update('z');
    expect([...a.merge(b).items].sort()).toEqual(['x', 'y', 'z']);
  });

  it('round-trips through JSON and rejects inconsistent JSON', () => {
    const r = new Reservoir<{ id: number }>(3, seededRandom(5));
    for (let i = 0; i < 10; i++) r.update({ id: i });
    const copy = Reservoir.fromJSON<{ id: number }>(JSON.parse(JSON.stringify(r)) as ReturnType<typeof r.toJSON>);
    expect(copy.toJSON()).toEqual(r.toJSON());
    expect(() => Reservoir.fromJSON({ capacity: 3, seen: 10, items: [1] })).toThrow(RangeError);
  });

  it('in a rolling window, samples only the live buckets and forgets evicted ones', () => {
    const random = seededRandom(9);
    const hits = new Map<number, number>();
    for (let trial = 0; trial < 2000; trial++) {
      const window = new RollingWindow<Reservoir<number>>({
        bucketMs: 10,
        horizonMs: 30,
        create: () => new Reservoir<number>(3, random),
      });
      // Buckets 0..4 with 4 items each; horizon 3 buckets keeps items 8..19.
      for (let bucket = 0; bucket < 5; bucket++) {
        const delta = new Reservoir<number>(3, random);
        for (let k = 0; k < 4; k++) delta.update(bucket * 4 + k);
        window.add(bucket * 10, delta);
      }
      const state = window.state();
      expect(state.seen).toBe(12);
      for (const x of state.items) hits.set(x, (hits.get(x) ?? 0) + 1);
    }
    expect([...hits.keys()].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    // 11 degrees of freedom, 99.9% quantile 31.26.
    expect(chiSquareUniform([...hits.values()])).toBeLessThan(31.26);
  });
});
