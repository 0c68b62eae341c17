import type { DetectorState, DriftDetector } from './detector.js';
import { expectKind } from './detector.js';

export interface ADWINOptions {
  delta?: number;
  clock?: number;
  maxBuckets?: number;
  minWindowLength?: number;
  gracePeriod?: number;
}

export interface ADWINState extends DetectorState {
  kind: 'ADWIN';
  options: Required<ADWINOptions>;
  driftDetected: boolean;
  total: number;
  variance: number;
  width: number;
  totalWidth: number;
  nBuckets: number;
  maxNBuckets: number;
  tick: number;
  nDetections: number;
  /** Row i holds buckets of 2^i points, oldest first: their sums and variance terms. */
  rows: { totals: number[]; variances: number[] }[];
}

/**
 * ADaptive WINdowing (Bifet & Gavaldà 2007) with ADWIN2's exponential-histogram buckets, as
 * River's `drift.ADWIN`. The window is cut where the means of its two parts differ by more
 * than the Hoeffding/Bernstein bound for confidence delta; the oldest bucket is dropped
 * until no cut holds.
 *
 * Defaults (River's): delta 0.002, clock 32 (cuts are checked every 32nd update), maxBuckets 5
 * (buckets of each size before two merge), minWindowLength 5 (smallest sub-window tested),
 * gracePeriod 10 (no check until the window holds more than 10 points). As in River, the
 * update after a detection starts from a brand-new window: width, tick (clock phase) and
 * the detection count all restart.
 */
export class ADWIN implements DriftDetector {
  readonly options: Readonly<Required<ADWINOptions>>;
  private drift = false;
  private total = 0;
  private variance = 0;
  private width = 0;
  private totalWidth = 0;
  private nBuckets = 0;
  private maxNBuckets = 0;
  private tick = 0;
  private nDetections = 0;
  // Rows of buckets in flat typed arrays (row r occupies [r*cap, (r+1)*cap)), grown by
  // doubling, so an update allocates nothing.
  private readonly cap: number;
  // Copies of the options read on every update: plain fields load faster than a frozen object's.
  private readonly maxBuckets: number;
  private readonly clock: number;
  private readonly gracePeriod: number;
  private readonly minWindowLength: number;
  private readonly delta: number;
  private rowCapacity = 16;
  private nRows = 1;
  private counts = new Int32Array(this.rowCapacity);
  private totals: Float64Array;
  private variances: Float64Array;

  constructor(options: ADWINOptions = {}) {
    this.options = Object.freeze({
      delta: options.delta ?? 0.002,
      clock: options.clock ?? 32,
      maxBuckets: options.maxBuckets ?? 5,
      minWindowLength: options.minWindowLength ?? 5,
      gracePeriod: options.gracePeriod ?? 10,
    });
    this.cap = this.options.maxBuckets + 1;
    this.maxBuckets = this.options.maxBuckets;
    this.clock = this.options.clock;
    this.gracePeriod = this.options.gracePeriod;
    this.minWindowLength = this.options.minWindowLength;
    this.delta = this.options.delta;
    this.totals = new Float64Array(this.rowCapacity * this.cap);
    this.variances = new Float64Array(this.rowCapacity * this.cap);
  }

  get driftDetected(): boolean {
    return this.drift;
  }

  /** Number of points in the current window. */
  get windowWidth(): number {
    return this.width;
  }

  /** Mean of the current window (0 when empty). */
  get estimation(): number {
    return this.width === 0 ? 0 : this.total / this.width;
  }

  reset(): void {
    this.drift = false;
    this.total = 0;
    this.variance = 0;
    this.width = 0;
    this.totalWidth = 0;
    this.nBuckets = 0;
    this.maxNBuckets = 0;
    this.tick = 0;
    this.nDetections = 0;
    this.nRows = 1;
    this.counts.fill(0);
    this.totals.fill(0);
    this.variances.fill(0);
  }

  update(x: number): void {
    if (this.drift) this.reset();
    this.insertElement(+x);
    this.drift = this.detectChange();
  }

  private ensureRows(rows: number): void {
    if (rows <= this.rowCapacity) return;
    const capacity = Math.max(rows, this.rowCapacity * 2);
    const counts = new Int32Array(capacity);
    counts.set(this.counts);
    const totals = new Float64Array(capacity * this.cap);
    totals.set(this.totals);
    const variances = new Float64Array(capacity * this.cap);
    variances.set(this.variances);
    this.counts = counts;
    this.totals = totals;
    this.variances = variances;
    this.rowCapacity = capacity;
  }

  private pushBucket(row: number, total: number, variance: number): void {
    const at = row * this.cap + this.counts[row]!;
    this.totals[at] = total;
    this.variances[at] = variance;
    this.counts[row]! += 1;
  }

  /** Drops the row's n oldest buckets. */
  private dropOldest(row: number, n: number): void {
    // Plain loops: rows hold at most maxBuckets + 1 entries, too few for copyWithin/fill's
    // call overhead to pay off on this per-update path.
    const start = row * this.cap;
    const count = this.counts[row]!;
    const totals = this.totals;
    const variances = this.variances;
    for (let i = start; i < start + count - n; i++) {
      totals[i] = totals[i + n]!;
      variances[i] = variances[i + n]!;
    }
    for (let i = start + count - n; i < start + count; i++) {
      totals[i] = 0;
      variances[i] = 0;
    }
    this.counts[row] = count - n;
  }

  private insertElement(value: number): void {
    this.pushBucket(0, value, 0);
    this.nBuckets += 1;
    if (this.nBuckets > this.maxNBuckets) this.maxNBuckets = this.nBuckets;
    this.width += 1;
    let incrementalVariance = 0;
    if (this.width > 1) {
      const deltaV = value - this.total / (this.width - 1);
      incrementalVariance = ((this.width - 1) * deltaV * deltaV) / this.width;
    }
    this.variance += incrementalVariance;
    this.total += value;
    this.compressBuckets();
  }

  private compressBuckets(): void {
    const cap = this.cap;
    const maxBuckets = this.maxBuckets;
    for (let row = 0; this.counts[row] === maxBuckets + 1; row++) {
      const n1 = 2 ** row;
      const at = row * cap;
      const t0 = this.totals[at]!;
      const t1 = this.totals[at + 1]!;
      const mu1 = t0 / n1;
      const mu2 = t1 / n1;
      const merged = this.variances[at]! + this.variances[at + 1]! + n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);
      if (row + 1 >= this.nRows) {
        this.ensureRows(row + 2);
        this.nRows = row + 2;
      }
      this.pushBucket(row + 1, t0 + t1, merged);
      this.nBuckets += 1;
      this.dropOldest(row, 2);
      if (this.counts[row + 1]! <= maxBuckets) break;
    }
  }

  private deleteElement(): void {
    const last = this.nRows - 1;
    const n = 2 ** last;
    const u = this.totals[last * this.cap]!;
    const v = this.variances[last * this.cap]!;
    const mu = u / n;
    this.width -= n;
    this.total -= u;
    const muWindow = this.total / this.width;
    this.variance -= v + (n * this.width * (mu - muWindow) * (mu - muWindow)) / (n + this.width);
    this.dropOldest(last, 1);
    this.nBuckets -= 1;
    if (this.counts[last] === 0) this.nRows -= 1;
  }

  private detectChange(): boolean {
    let changeDetected = false;
    this.tick += 1;
    if (this.tick % this.clock === 0 && this.width > this.gracePeriod) {
      let reduceWidth = true;
      while (reduceWidth) {
        reduceWidth = false;
        let n0 = 0;
        let n1 = this.width;
        let u0 = 0;
        let u1 = this.total;
        // Constant within a pass (the window only changes by the deletion that ends it), so
        // hoisting them leaves every compared value bit-identical to River's per-cut formula.
        const deltaPrime = Math.log((2 * Math.log(this.width)) / this.delta);
        const windowVariance = this.variance / this.width;
        const minLength = this.minWindowLength;
        // Oldest row first, oldest bucket first: W0 grows from the old end of the window.
        scan: for (let row = this.nRows - 1; row >= 0; row--) {
          const bucketSize = 2 ** row;
          const count = this.counts[row]!;
          const base = row * this.cap;
          for (let k = 0; k < count; k++) {
            n0 += bucketSize;
            n1 -= bucketSize;
            const t = this.totals[base + k]!;
            u0 += t;
            u1 -= t;
            if (row === 0 && k === count - 1) break scan;
            if (n1 < minLength || n0 < minLength) continue;
            const deltaMean = u0 / n0 - u1 / n1;
            const mRecip = 1 / (n0 - minLength + 1) + 1 / (n1 - minLength + 1);
            const epsilon = Math.sqrt(2 * mRecip * windowVariance * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
            if (Math.abs(deltaMean) > epsilon) {
              reduceWidth = true;
              changeDetected = true;
              if (this.width > 0) {
                this.deleteElement();
                break scan;
              }
            }
          }
        }
      }
    }
    this.totalWidth += this.width;
    if (changeDetected) this.nDetections += 1;
    return changeDetected;
  }

  toJSON(): ADWINState {
    const rows: ADWINState['rows'] = [];
    for (let r = 0; r < this.nRows; r++) {
      const start = r * this.cap;
      const end = start + this.counts[r]!;
      rows.push({
        totals: Array.from(this.totals.subarray(start, end)),
        variances: Array.from(this.variances.subarray(start, end)),
      });
    }
    return {
      kind: 'ADWIN',
      options: { ...this.options },
      driftDetected: this.drift,
      total: this.total,
      variance: this.variance,
      width: this.width,
      totalWidth: this.totalWidth,
      nBuckets: this.nBuckets,
      maxNBuckets: this.maxNBuckets,
      tick: this.tick,
      nDetections: this.nDetections,
      rows,
    };
  }

  static fromJSON(state: DetectorState): ADWIN {
    expectKind(state, 'ADWIN');
    const s = state as ADWINState;
    const d = new ADWIN(s.options);
    d.drift = s.driftDetected;
    d.total = s.total;
    d.variance = s.variance;
    d.width = s.width;
    d.totalWidth = s.totalWidth;
    d.nBuckets = s.nBuckets;
    d.maxNBuckets = s.maxNBuckets;
    d.tick = s.tick;
    d.nDetections = s.nDetections;
    d.ensureRows(Math.max(1, s.rows.length));
    d.nRows = Math.max(1, s.rows.length);
    s.rows.forEach((row, r) => {
      if (row.totals.length > d.cap || row.variances.length !== row.totals.length) {
        throw new RangeError('ADWIN state has a malformed bucket row');
      }
      d.totals.set(row.totals, r * d.cap);
      d.variances.set(row.variances, r * d.cap);
      d.counts[r] = row.totals.length;
    });
    return d;
  }
}
