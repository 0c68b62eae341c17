// ADWIN's batched merges and `updateMany` against the per-insert algorithm: the parity fixtures
// (River's own indices), the previous detector (adwin-previous.ts, merging on every insert and
// itself at River's indices) state for state on streams the fixtures do not cover, and states
// stored by the previous implementation.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADWIN, detectorFromJSON, updateAll } from '../../../../shared/stats/detectors/index.js';
import type { ADWINOptions, ADWINState, DetectorState } from '../../../../shared/stats/detectors/index.js';
import { MersenneTwister } from '../../../../shared/stats/random/mersenne-twister.js';
import { PreviousADWIN } from './adwin-previous.js';

interface Case {
  detector: string;
  options: ADWINOptions;
  stream: string;
  drifts: number[];
}

const fixtures = new URL('../../../fixtures/detectors/', import.meta.url);
const river = JSON.parse(readFileSync(new URL('river_detectors.json', fixtures), 'utf8')) as {
  streams: Record<string, number[]>;
  cases: Case[];
};
const adwinCases = river.cases.filter((c) => c.detector === 'ADWIN');

/** Seeded streams with level, rate and spread shifts, and options around River's defaults. */
function randomCase(seed: number): { options: ADWINState['options']; stream: number[] } {
  const rng = new MersenneTwister(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rng.random() * xs.length)]!;
  const options = {
    delta: pick([0.002, 0.002, 0.01, 0.1, 1e-5]),
    clock: pick([32, 32, 1, 5, 7, 33, 64, 100]),
    maxBuckets: pick([5, 5, 2, 3, 9]),
    minWindowLength: pick([5, 5, 1, 10]),
    gracePeriod: pick([10, 10, 0, 50]),
  };
  const kind = seed % 3;
  const length = 1500 + Math.floor(rng.random() * 3000);
  let level = 0;
  let spread = 1;
  const stream = Array.from({ length }, () => {
    if (rng.random() < 0.002) level = rng.random() * 3 - 1.5;
    if (rng.random() < 0.001) spread = 0.2 + rng.random() * 3;
    if (kind === 0) return rng.random() < 0.2 + level / 5 ? 1 : 0;
    if (kind === 1) return (rng.random() - 0.5) * spread + level;
    return Math.round(rng.random() * 4 + level);
  });
  return { options, stream };
}

/** Feeds `stream` in chunks of random sizes (1 to 300) through updateMany. */
function feedInChunks(d: ADWIN, stream: number[], seed: number): number[] {
  const rng = new MersenneTwister(seed);
  const detections: number[] = [];
  for (let i = 0; i < stream.length; ) {
    const n = 1 + Math.floor(rng.random() * 300);
    for (const at of d.updateMany(stream.slice(i, i + n))) detections.push(i + at);
    i += n;
  }
  return detections;
}

function oneByOne(d: ADWIN, stream: number[]): number[] {
  const detections: number[] = [];
  stream.forEach((x, i) => {
    d.update(x);
    if (d.driftDetected) detections.push(i);
  });
  return detections;
}

const roundTrip = (d: ADWIN): ADWIN => ADWIN.fromJSON(JSON.parse(JSON.stringify(d)) as DetectorState);

describe('ADWIN batched merges', () => {
  it('compares against the previous detector, which itself detects at River\'s indices', () => {
    for (const c of adwinCases) {
      const reference = new PreviousADWIN(c.options);
      const drifts: number[] = [];
      river.streams[c.stream]!.forEach((x, i) => {
        reference.update(x);
        if (reference.driftDetected) drifts.push(i);
      });
      expect(drifts, `${c.stream} ${JSON.stringify(c.options)}`).toEqual(c.drifts);
    }
  });

  it('keeps every bucket, statistic and flag of the previous detector (eager merges), on random streams and options', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { options, stream } = randomCase(seed);
      const reference = new PreviousADWIN(options);
      const fast = new ADWIN(options);
      stream.forEach((x, i) => {
        reference.update(x);
        fast.update(x);
        expect(fast.driftDetected, `seed ${seed}, update ${i}`).toBe(reference.driftDetected);
        // Serialising merges the pending inserts: every 61st update lands at a different clock phase.
        if (i % 61 === 0) expect(fast.toJSON(), `seed ${seed}, update ${i}`).toEqual(reference.toJSON());
      });
      expect(fast.toJSON(), `seed ${seed}`).toEqual(reference.toJSON());
    }
  });

  it('with maxBuckets 1, agrees with the previous detector until it stops where River 0.26.1 panics', () => {
    // River 0.26.1 panics on most streams with maxBuckets 1; the previous detector went on with
    // corrupted rows. The fast one agrees with it up to its own refusal, which must come.
    let panics = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { stream } = randomCase(3 * seed + 1);
      const options = { delta: 0.002, clock: 32, maxBuckets: 1, minWindowLength: 5, gracePeriod: 10 };
      const previous = new PreviousADWIN(options);
      const fast = new ADWIN(options);
      for (const x of stream) {
        let fastThrew = false;
        try {
          fast.update(x);
        } catch (error) {
          expect(String(error)).toMatch(/River 0.26.1 panics/);
          fastThrew = true;
        }
        if (fastThrew) {
          panics += 1;
          break;
        }
        previous.update(x);
        expect(fast.driftDetected).toBe(previous.driftDetected);
      }
    }
    expect(panics).toBeGreaterThan(0);
  });

  it('rejects a maxBuckets River cannot run', () => {
    expect(() => new ADWIN({ maxBuckets: 0 })).toThrow(RangeError);
    expect(() => new ADWIN({ maxBuckets: 2.5 })).toThrow(RangeError);
  });
});

describe('ADWIN.updateMany', () => {
  for (const c of adwinCases) {
    it(`detects at River's indices: ${JSON.stringify(c.options)} on ${c.stream}`, () => {
      const stream = river.streams[c.stream]!;
      expect(new ADWIN(c.options).updateMany(stream)).toEqual(c.drifts);
      expect(feedInChunks(new ADWIN(c.options), stream, 5)).toEqual(c.drifts);
      expect(updateAll(new ADWIN(c.options), stream)).toEqual(c.drifts);
    });
  }

  it('gives the detections and the state of update one at a time', () => {
    for (let seed = 100; seed < 140; seed++) {
      const { options, stream } = randomCase(seed);
      const single = new ADWIN(options);
      const batched = new ADWIN(options);
      const expected = oneByOne(single, stream);
      expect(feedInChunks(batched, stream, seed), `seed ${seed}`).toEqual(expected);
      expect(batched.driftDetected).toBe(single.driftDetected);
      expect(batched.toJSON(), `seed ${seed}`).toEqual(single.toJSON());
    }
  });

  it('accepts typed arrays and empty batches', () => {
    const stream = river.streams.abrupt_normal!;
    const d = new ADWIN();
    expect(d.updateMany([])).toEqual([]);
    expect(d.updateMany(Float64Array.from(stream))).toEqual(adwinCases.find((c) => c.stream === 'abrupt_normal')!.drifts);
  });
});

describe('ADWIN serialised mid-stream', () => {
  it('continues identically from any clock phase, with inserts pending, and at a detection', () => {
    for (const c of adwinCases) {
      const stream = river.streams[c.stream]!;
      const third = Math.floor(stream.length / 3);
      // Pending inserts at several clock phases, right before and after a check, and around a detection.
      const points = [third, third + 1, third + 13, 32 * 40 - 2, 32 * 40 - 1, 32 * 40];
      if (c.drifts[0] !== undefined) points.push(c.drifts[0] - 1, c.drifts[0], c.drifts[0] + 1);
      for (const k of points) {
        let d = new ADWIN(c.options);
        const drifts = d.updateMany(stream.slice(0, k + 1));
        d = roundTrip(d);
        for (const at of d.updateMany(stream.slice(k + 1))) drifts.push(k + 1 + at);
        expect(drifts, `${c.stream} ${JSON.stringify(c.options)} restored after ${k}`).toEqual(c.drifts);
      }
    }
  });

  it('serialising along the way changes nothing', () => {
    for (let seed = 200; seed < 215; seed++) {
      const { options, stream } = randomCase(seed);
      const plain = new ADWIN(options);
      let restored = new ADWIN(options);
      const expected = oneByOne(plain, stream);
      const got: number[] = [];
      stream.forEach((x, i) => {
        restored.update(x);
        if (restored.driftDetected) got.push(i);
        if (i % 47 === 0) restored = roundTrip(restored);
      });
      expect(got, `seed ${seed}`).toEqual(expected);
      expect(restored.toJSON()).toEqual(plain.toJSON());
    }
  });

  it('restores states stored by the previous implementation (6ef107b) and continues at River\'s indices', () => {
    const stored = JSON.parse(readFileSync(new URL('adwin_states_6ef107b.json', fixtures), 'utf8')) as {
      states: { case: number; after: number; state: DetectorState }[];
    };
    expect(stored.states.length).toBeGreaterThan(0);
    for (const { case: index, after, state } of stored.states) {
      const c = river.cases[index]!;
      const d = detectorFromJSON(state) as ADWIN;
      expect(d.toJSON()).toEqual(state);
      const drifts = c.drifts.filter((at) => at <= after);
      for (const at of d.updateMany(river.streams[c.stream]!.slice(after + 1))) drifts.push(after + 1 + at);
      expect(drifts, `case ${index} restored after ${after}`).toEqual(c.drifts);
    }
  });
});
