import { describe, expect, it } from 'vitest';
import { driftProbability, driftingStream, type DriftSample } from '../../../shared/sim/concepts/drift.js';
import { seaLabel } from '../../../shared/sim/concepts/index.js';

const take = (iterable: Iterable<DriftSample>, n: number): DriftSample[] => {
  const out: DriftSample[] = [];
  for (const sample of iterable) {
    if (out.length === n) break;
    out.push(sample);
  }
  return out;
};
const x = (s: DriftSample, name: string): number => s.features[name] as number;
const afterShare = (samples: DriftSample[]): number => samples.filter((s) => s.concept === 'after').length / samples.length;

describe('driftingStream', () => {
  it('switches abruptly exactly at `at`, each sample labelled by its concept', () => {
    const samples = take(driftingStream({ before: { kind: 'sea', variant: 0 }, after: { kind: 'sea', variant: 2 }, at: 700, seed: 4 }), 1500);
    samples.forEach((s, i) => {
      expect(s.index).toBe(i);
      expect(s.concept).toBe(i < 700 ? 'before' : 'after');
    });
    const wrong = samples.filter((s) => s.label !== seaLabel(x(s, 'x1'), x(s, 'x2'), s.concept === 'before' ? 8 : 7));
    expect(wrong).toEqual([]);
    expect(samples.some((s) => s.noisy)).toBe(false);
  });

  it('gradual: the share drawn from `after` rises linearly over the window', () => {
    const at = 2000;
    const width = 4000;
    const samples = take(
      driftingStream({ before: { kind: 'hyperplane', variant: 0, seed: 1 }, after: { kind: 'hyperplane', variant: 1, seed: 1 }, at, width, seed: 8 }),
      at + width + 1000,
    );
    expect(afterShare(samples.slice(0, at))).toBe(0);
    const quarter = width / 4;
    const first = afterShare(samples.slice(at, at + quarter));
    const last = afterShare(samples.slice(at + width - quarter, at + width));
    expect(first).toBeLessThan(0.25); // expected 0.125
    expect(first).toBeGreaterThan(0.02);
    expect(last).toBeGreaterThan(0.75); // expected 0.875
    expect(last).toBeLessThan(0.98);
    const middle = afterShare(samples.slice(at + width / 2 - quarter / 2, at + width / 2 + quarter / 2));
    expect(middle).toBeGreaterThan(0.4);
    expect(middle).toBeLessThan(0.6);
    expect(afterShare(samples.slice(at + width))).toBe(1);
  });

  it('driftProbability: 0 before, linear over the width, 1 after; width 0 is abrupt', () => {
    expect(driftProbability(99, 100, 0)).toBe(0);
    expect(driftProbability(100, 100, 0)).toBe(1);
    expect(driftProbability(99, 100, 10)).toBe(0);
    expect(driftProbability(100, 100, 10)).toBeCloseTo(0.1);
    expect(driftProbability(104, 100, 10)).toBeCloseTo(0.5);
    expect(driftProbability(109, 100, 10)).toBe(1);
    expect(driftProbability(500, 100, 10)).toBe(1);
  });

  it('is a pure function of its seed', () => {
    const options = { before: { kind: 'agrawal', variant: 1 }, after: { kind: 'agrawal', variant: 2 }, at: 100, width: 200, seed: 12 } as const;
    const a = take(driftingStream(options), 500);
    const b = take(driftingStream(options), 500);
    expect(b).toEqual(a);
    const c = take(driftingStream({ ...options, seed: 13 }), 500);
    expect(c.map((s) => s.features)).not.toEqual(a.map((s) => s.features));
  });

  it('stops after count', () => {
    expect([...driftingStream({ before: { kind: 'sea' }, after: { kind: 'sea', variant: 1 }, at: 5, count: 12 })]).toHaveLength(12);
  });

  it('noiseLabels draws labels uniformly from the classes, from the given index on', () => {
    const samples = [
      ...driftingStream({
        before: { kind: 'sea', variant: 3 },
        after: { kind: 'sea', variant: 3 },
        at: 0,
        count: 6000,
        seed: 2,
        noiseLabels: { share: 1, from: 1000 },
      }),
    ];
    const clean = samples.slice(0, 1000);
    expect(clean.filter((s) => s.noisy || s.label !== seaLabel(x(s, 'x1'), x(s, 'x2'), 9.5))).toEqual([]);
    const garbage = samples.slice(1000);
    expect(garbage.every((s) => s.noisy)).toBe(true);
    const ones = garbage.filter((s) => s.label === '1').length / garbage.length;
    expect(ones).toBeGreaterThan(0.46);
    expect(ones).toBeLessThan(0.54);
    const agree = garbage.filter((s) => s.label === seaLabel(x(s, 'x1'), x(s, 'x2'), 9.5)).length / garbage.length;
    expect(agree).toBeGreaterThan(0.45);
    expect(agree).toBeLessThan(0.55);
  });

  it('refuses bad schedules', () => {
    const base = { before: { kind: 'sea' }, after: { kind: 'sea' } } as const;
    expect(() => driftingStream({ ...base, at: -1 }).next()).toThrow(RangeError);
    expect(() => driftingStream({ ...base, at: 1, width: 1.5 }).next()).toThrow(RangeError);
    expect(() => driftingStream({ ...base, at: 1, noiseLabels: 2 }).next()).toThrow(RangeError);
  });
});
