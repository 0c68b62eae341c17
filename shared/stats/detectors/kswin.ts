import { ksTwoSampleSorted } from '../distributions/ks-two-sample.js';
import type { KsTwoSampleResult } from '../distributions/ks-two-sample.js';
import { MersenneTwister } from '../random/mersenne-twister.js';
import type { MersenneTwisterState, RandomSource } from '../random/mersenne-twister.js';
import type { DetectorState, DriftDetector } from './detector.js';
import { expectKind } from './detector.js';

export interface KSWINOptions {
  alpha?: number;
  windowSize?: number;
  statSize?: number;
  /** Seed of the index sampler; without one every (re)start draws a fresh seed, like River. */
  seed?: number;
  /** Values to start the window with (only at construction, as River's `window`). */
  window?: readonly number[];
  /**
   * Creates the random source from the seed at every (re)start. The default, a Mersenne
   * Twister seeded like Python's `random.Random(seed)`, reproduces River's choices.
   */
  createRandom?: (seed: number | undefined) => RandomSource;
}

export interface KSWINState extends DetectorState {
  kind: 'KSWIN';
  options: { alpha: number; windowSize: number; statSize: number; seed: number | null };
  driftDetected: boolean;
  pValue: number;
  n: number;
  /** Window contents, oldest first. */
  window: number[];
  random: MersenneTwisterState;
}

/**
 * Kolmogorov–Smirnov Windowing (Raab et al. 2020), as River's `drift.KSWIN`: once the
 * sliding window of windowSize values is full, every update draws statSize values at random
 * from its older windowSize − statSize part and runs a two-sample KS test (SciPy's 'auto'
 * method) against the statSize newest values. Drift when p ≤ alpha and the statistic > 0.1.
 *
 * Defaults (River's): alpha 0.005, windowSize 100, statSize 30, no seed. As in River the update
 * after a drift empties the window and re-creates the random source from the seed.
 */
export class KSWIN implements DriftDetector {
  readonly alpha: number;
  readonly windowSize: number;
  readonly statSize: number;
  readonly seed: number | undefined;
  private readonly createRandom: (seed: number | undefined) => RandomSource;
  private drift = false;
  private lastPValue = 0;
  private n = 0;
  // Ring buffer: `length` values ending just before `end`.
  private readonly ring: Float64Array;
  private end = 0;
  private length = 0;
  private rng: RandomSource;
  private readonly indices: Int32Array;
  private readonly sampled: Float64Array;
  private readonly recent: Float64Array;
  private readonly recentSorted: Float64Array;
  private readonly result: KsTwoSampleResult = { statistic: 0, pValue: 0 };

  constructor(options: KSWINOptions = {}) {
    const alpha = options.alpha ?? 0.005;
    const windowSize = options.windowSize ?? 100;
    const statSize = options.statSize ?? 30;
    if (alpha < 0 || alpha > 1) throw new RangeError('Alpha must be between 0 and 1.');
    if (windowSize < 0) throw new RangeError('window_size must be greater than 0.');
    if (windowSize < statSize) throw new RangeError('stat_size must be smaller than window_size.');
    this.alpha = alpha;
    this.windowSize = windowSize;
    this.statSize = statSize;
    this.seed = options.seed;
    this.createRandom = options.createRandom ?? ((seed) => new MersenneTwister(seed));
    this.ring = new Float64Array(Math.max(windowSize, 1));
    this.indices = new Int32Array(statSize);
    this.sampled = new Float64Array(statSize);
    this.recent = new Float64Array(statSize);
    this.recentSorted = new Float64Array(statSize);
    this.rng = this.createRandom(this.seed);
    for (const v of options.window ?? []) this.push(v);
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  /** p-value of the last test (0 before the window first fills). */
  get pValue(): number {
    return this.lastPValue;
  }

  reset(): void {
    this.drift = false;
    this.lastPValue = 0;
    this.n = 0;
    this.end = 0;
    this.length = 0;
    this.rng = this.createRandom(this.seed);
  }

  private push(v: number): void {
    if (this.windowSize === 0) return;
    this.ring[this.end] = v;
    this.end = (this.end + 1) % this.windowSize;
    if (this.length < this.windowSize) this.length += 1;
  }

  /** i-th value of the window, oldest first. */
  private at(i: number): number {
    return this.ring[(this.end - this.length + i + this.windowSize) % this.windowSize]!;
  }

  update(x: number): void {
    if (this.drift) this.reset();
    this.n += 1;
    this.push(+x);
    if (this.length < this.windowSize || this.windowSize === 0) {
      this.drift = false;
      return;
    }
    const older = this.windowSize - this.statSize;
    this.rng.sampleRange(older, this.statSize, this.indices);
    for (let i = 0; i < this.statSize; i++) {
      this.sampled[i] = this.at(this.indices[i]!);
      this.recent[i] = this.at(older + i);
    }
    this.sampled.sort();
    this.recentSorted.set(this.recent);
    this.recentSorted.sort();
    ksTwoSampleSorted(this.sampled, this.statSize, this.recentSorted, this.statSize, 'auto', this.result);
    this.lastPValue = this.result.pValue;
    if (this.result.pValue <= this.alpha && this.result.statistic > 0.1) {
      this.drift = true;
      // River keeps only the newest statSize values (the next update clears them anyway).
      const keep = this.recent.slice();
      this.end = 0;
      this.length = 0;
      for (const v of keep) this.push(v);
    } else {
      this.drift = false;
    }
  }

  toJSON(): KSWINState {
    const window: number[] = [];
    for (let i = 0; i < this.length; i++) window.push(this.at(i));
    return {
      kind: 'KSWIN',
      options: { alpha: this.alpha, windowSize: this.windowSize, statSize: this.statSize, seed: this.seed ?? null },
      driftDetected: this.drift,
      pValue: this.lastPValue,
      n: this.n,
      window,
      random: this.rng.getState(),
    };
  }

  /** Restores a detector; pass the same `createRandom` the original used, if any. */
  static fromJSON(state: DetectorState, createRandom?: KSWINOptions['createRandom']): KSWIN {
    expectKind(state, 'KSWIN');
    const s = state as KSWINState;
    const d = new KSWIN({
      alpha: s.options.alpha,
      windowSize: s.options.windowSize,
      statSize: s.options.statSize,
      seed: s.options.seed ?? undefined,
      window: s.window,
      ...(createRandom ? { createRandom } : {}),
    });
    d.drift = s.driftDetected;
    d.lastPValue = s.pValue;
    d.n = s.n;
    d.rng.setState(s.random);
    return d;
  }
}
