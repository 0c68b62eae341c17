import { describe, expect, it } from 'vitest';
import {
  ADWIN,
  DDM,
  EDDM,
  HDDM_A,
  HDDM_W,
  KSWIN,
  PageHinkley,
  detectorFromJSON,
  updateAll,
} from '../../../../shared/stats/detectors/index.js';
import type { DetectorState, DriftDetector } from '../../../../shared/stats/detectors/index.js';
import { MersenneTwister } from '../../../../shared/stats/random/mersenne-twister.js';

function shiftedStream(seed: number, length: number): number[] {
  const rng = new MersenneTwister(seed);
  return Array.from({ length }, (_, i) => (rng.random() < (i < length / 2 ? 0.1 : 0.6) ? 1 : 0));
}

const makers: [string, () => DriftDetector][] = [
  ['ADWIN', () => new ADWIN()],
  ['DDM', () => new DDM()],
  ['EDDM', () => new EDDM()],
  ['HDDM_A', () => new HDDM_A()],
  ['HDDM_W', () => new HDDM_W()],
  ['PageHinkley', () => new PageHinkley({ threshold: 10 })],
  ['KSWIN', () => new KSWIN({ seed: 5 })],
];

describe('drift detector contract', () => {
  for (const [name, make] of makers) {
    it(`${name}: detects the rate change, and reset() returns it to a fresh detector`, () => {
      const stream = shiftedStream(11, 3000);
      const fresh = make();
      const used = make();
      let detections = 0;
      for (const x of stream) {
        used.update(x);
        if (used.driftDetected) detections += 1;
      }
      expect(detections).toBeGreaterThan(0);
      used.reset();
      expect(used.driftDetected).toBe(false);
      expect(used.toJSON()).toEqual(fresh.toJSON());
    });

    it(`${name}: state survives JSON text and keeps its kind`, () => {
      const d = make();
      for (const x of shiftedStream(3, 500)) d.update(x);
      const state = JSON.parse(JSON.stringify(d.toJSON())) as DetectorState;
      expect(state.kind).toBe(name);
      expect(detectorFromJSON(state).toJSON()).toEqual(d.toJSON());
    });
  }

  it('updateAll gives the detections of update one at a time, batched or not', () => {
    const stream = shiftedStream(11, 3000);
    for (const [name, make] of makers) {
      const single = make();
      const expected: number[] = [];
      stream.forEach((x, i) => {
        single.update(x);
        if (single.driftDetected) expected.push(i);
      });
      const fed = make();
      expect(updateAll(fed, stream), name).toEqual(expected);
      expect(fed.toJSON(), name).toEqual(single.toJSON());
    }
  });

  it('refuses a state of another kind and unknown kinds', () => {
    expect(() => ADWIN.fromJSON(new DDM().toJSON())).toThrow(TypeError);
    expect(() => detectorFromJSON({ kind: 'Nope' })).toThrow(TypeError);
  });

  it('validates parameters as River does', () => {
    expect(() => new KSWIN({ alpha: -0.1 })).toThrow(RangeError);
    expect(() => new KSWIN({ alpha: 1.1 })).toThrow(RangeError);
    expect(() => new KSWIN({ windowSize: -10 })).toThrow(RangeError);
    expect(() => new KSWIN({ windowSize: 10, statSize: 30 })).toThrow(RangeError);
    expect(() => new EDDM({ alpha: 0.5, beta: 0.9 })).toThrow(RangeError);
    expect(() => new PageHinkley({ mode: 'sideways' as 'up' })).toThrow(RangeError);
  });

  it('KSWIN starts from the given window and uses an injected random source', () => {
    const calls: number[] = [];
    const make = (seed: number | undefined) => {
      const rng = new MersenneTwister(seed ?? 0);
      return Object.assign(rng, {
        sampleRange(n: number, k: number, out: Int32Array) {
          calls.push(n);
          MersenneTwister.prototype.sampleRange.call(rng, n, k, out);
        },
      });
    };
    const d = new KSWIN({ windowSize: 50, statSize: 20, seed: 1, window: Array.from({ length: 49 }, (_, i) => i % 3), createRandom: make });
    d.update(1);
    expect(calls).toEqual([30]);
    expect(d.pValue).toBeGreaterThan(0);
  });
});
