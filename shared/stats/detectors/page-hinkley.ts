import type { DetectorState, DriftDetector, JsonNumber } from './detector.js';
import { decodeNumber, encodeNumber, expectKind } from './detector.js';

export type PageHinkleyMode = 'up' | 'down' | 'both';

export interface PageHinkleyOptions {
  minInstances?: number;
  delta?: number;
  threshold?: number;
  alpha?: number;
  mode?: PageHinkleyMode;
}

export interface PageHinkleyState extends DetectorState {
  kind: 'PageHinkley';
  options: Required<PageHinkleyOptions>;
  driftDetected: boolean;
  n: number;
  mean: number;
  sumIncrease: number;
  sumDecrease: number;
  minIncrease: JsonNumber;
  maxDecrease: JsonNumber;
}

/**
 * Page–Hinkley (CUSUM-style) test on a fading cumulative deviation from the running mean,
 * as River's `drift.PageHinkley`. No warning zone.
 *
 * Defaults (River's): minInstances 30, delta 0.005, threshold (lambda) 50, alpha
 * (forgetting factor) 1 − 0.0001, mode 'both' (increases and decreases).
 * After a detection the next update starts from a fresh state, mean included.
 */
export class PageHinkley implements DriftDetector {
  readonly options: Readonly<Required<PageHinkleyOptions>>;
  private drift = false;
  private n = 0;
  private mean = 0;
  private sumIncrease = 0;
  private sumDecrease = 0;
  private minIncrease = Infinity;
  // River starts this at -1, not -inf; it matters for the first few decreases.
  private maxDecrease = -1;

  constructor(options: PageHinkleyOptions = {}) {
    const mode = options.mode ?? 'both';
    if (mode !== 'up' && mode !== 'down' && mode !== 'both') throw new RangeError(`invalid mode ${String(mode)}`);
    this.options = Object.freeze({
      minInstances: options.minInstances ?? 30,
      delta: options.delta ?? 0.005,
      threshold: options.threshold ?? 50,
      alpha: options.alpha ?? 1 - 0.0001,
      mode,
    });
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  reset(): void {
    this.drift = false;
    this.n = 0;
    this.mean = 0;
    this.sumIncrease = 0;
    this.sumDecrease = 0;
    this.minIncrease = Infinity;
    this.maxDecrease = -1;
  }

  update(x: number): void {
    if (this.drift) this.reset();
    const o = this.options;
    this.n += 1;
    this.mean += (1 / this.n) * (x - this.mean);
    const dev = x - this.mean;
    this.sumIncrease = o.alpha * this.sumIncrease + dev - o.delta;
    this.sumDecrease = o.alpha * this.sumDecrease + dev + o.delta;
    if (this.sumIncrease < this.minIncrease) this.minIncrease = this.sumIncrease;
    if (this.sumDecrease > this.maxDecrease) this.maxDecrease = this.sumDecrease;
    if (this.n >= o.minInstances) {
      const up = this.sumIncrease - this.minIncrease > o.threshold;
      const down = this.maxDecrease - this.sumDecrease > o.threshold;
      this.drift = o.mode === 'up' ? up : o.mode === 'down' ? down : up || down;
    }
  }

  toJSON(): PageHinkleyState {
    return {
      kind: 'PageHinkley',
      options: { ...this.options },
      driftDetected: this.drift,
      n: this.n,
      mean: this.mean,
      sumIncrease: this.sumIncrease,
      sumDecrease: this.sumDecrease,
      minIncrease: encodeNumber(this.minIncrease),
      maxDecrease: encodeNumber(this.maxDecrease),
    };
  }

  static fromJSON(state: DetectorState): PageHinkley {
    expectKind(state, 'PageHinkley');
    const s = state as PageHinkleyState;
    const d = new PageHinkley(s.options);
    d.drift = s.driftDetected;
    d.n = s.n;
    d.mean = s.mean;
    d.sumIncrease = s.sumIncrease;
    d.sumDecrease = s.sumDecrease;
    d.minIncrease = decodeNumber(s.minIncrease);
    d.maxDecrease = decodeNumber(s.maxDecrease);
    return d;
  }
}
