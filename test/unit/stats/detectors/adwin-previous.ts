// The ADWIN of commit 397c45f (before the batched merges of issue 8), kept as the test oracle:
// it matched River 0.26.1's drift indices on every parity fixture, and the fast detector must
// reproduce it state for state.
import type { DetectorState, DriftDetector } from '../../../../shared/stats/detectors/detector.js';
import { expectKind } from '../../../../shared/stats/detectors/detector.js';

interface ADWINOptions {
  delta?: number;
  clock?: number;
  maxBuckets?: number;
  minWindowLength?: number;
  gracePeriod?: number;
}

interface ADWINState extends DetectorState {
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
export class PreviousADWIN implements DriftDetector {
  readonly options: Readonly<Required<ADWINOptions>>;
  private drift = false;
  private total = 0;
  private variance = 0;
  private width = 0;
  private totalWidth = 0;
  private nBuckets = 0;
  private maxNBuckets = 0;
  private tick = 0;
  private phase = 0;
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
    this.phase = Number.isInteger(this.clock) && this.clock > 0 ? 0 : -1;
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
    this.phase = this.phase >= 0 ? 0 : -1;
    this.nDetections = 0;
    this.nRows = 1;
    this.counts.fill(0);
    this.totals.fill(0);
    this.variances.fill(0);
  }

  update(x: number): void {
    if (this.drift) this.reset();
    this.insertElement(+x);
    this.tick += 1;
    // A phase counter instead of `tick % clock`: an integer division per update costs more
    // than the rest of the insertion. Clocks that are not positive integers (phase -1) keep
    // the modulo, whose behaviour for them the counter would not reproduce.
    let due: boolean;
    if (this.phase >= 0) {
      due = ++this.phase === this.clock;
      if (due) this.phase = 0;
    } else {
      due = this.tick % this.clock === 0;
    }
    let changeDetected = false;
    if (due && this.width > this.gracePeriod) changeDetected = this.shrinkWhileCut();
    this.totalWidth += this.width;
    if (changeDetected) this.nDetections += 1;
    this.drift = changeDetected;
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

  /** Drops the row's n oldest buckets. */
  private dropOldest(row: number, n: number): void {
    // Plain loops: rows hold at most maxBuckets + 1 entries, too few for copyWithin/fill's
    // call overhead to pay off on this per-update path. Freed slots are zeroed because with
    // maxBuckets 1 rows below the oldest can empty out, and a deletion may then read one.
    const start = row * this.cap;
    const end = start + this.counts[row]! - n;
    const totals = this.totals;
    const variances = this.variances;
    for (let i = start; i < end; i++) {
      totals[i] = totals[i + n]!;
      variances[i] = variances[i + n]!;
    }
    for (let i = end; i < end + n; i++) {
      totals[i] = 0;
      variances[i] = 0;
    }
    this.counts[row] = end - start;
  }

  private insertElement(value: number): void {
    const counts = this.counts;
    const count0 = counts[0]!;
    this.totals[count0] = value;
    this.variances[count0] = 0;
    counts[0] = count0 + 1;
    this.nBuckets += 1;
    if (this.nBuckets > this.maxNBuckets) this.maxNBuckets = this.nBuckets;
    const width = this.width + 1;
    this.width = width;
    let incrementalVariance = 0;
    if (width > 1) {
      const deltaV = value - this.total / (width - 1);
      incrementalVariance = ((width - 1) * deltaV * deltaV) / width;
    }
    this.variance += incrementalVariance;
    this.total += value;
    if (count0 === this.maxBuckets) this.compressBuckets();
  }

  private compressBuckets(): void {
    const cap = this.cap;
    const maxBuckets = this.maxBuckets;
    let bucketSize = 1;
    let inverseSize = 1;
    for (let row = 0; this.counts[row] === maxBuckets + 1; row++) {
      if (row + 1 >= this.nRows) {
        this.ensureRows(row + 2);
        this.nRows = row + 2;
      }
      const totals = this.totals;
      const variances = this.variances;
      const at = row * cap;
      const t0 = totals[at]!;
      const t1 = totals[at + 1]!;
      // Multiplying by the exact reciprocal of a power of two rounds the same real value
      // as River's division, so the means are bit-identical, without a division's latency.
      const mu1 = t0 * inverseSize;
      const mu2 = t1 * inverseSize;
      const merged = variances[at]! + variances[at + 1]! + bucketSize * 0.5 * (mu1 - mu2) * (mu1 - mu2);
      const next = this.counts[row + 1]!;
      const to = (row + 1) * cap + next;
      totals[to] = t0 + t1;
      variances[to] = merged;
      this.counts[row + 1] = next + 1;
      this.nBuckets += 1;
      this.dropOldest(row, 2);
      if (next + 1 <= maxBuckets) break;
      bucketSize *= 2;
      inverseSize *= 0.5;
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

  /** River's cut check, repeated after each deletion of the oldest bucket; true if any cut held. */
  private shrinkWhileCut(): boolean {
    let changeDetected = false;
    while (this.width > 0 && this.findCut()) {
      changeDetected = true;
      this.deleteElement();
    }
    return changeDetected;
  }

  /**
   * Whether some split of the window into an older W0 and a newer W1 has means farther apart
   * than River's bound `eps = sqrt(2 m v d') + 2/3 d' m`, testing splits in River's order.
   *
   * Each split is first screened without divisions or square roots: multiplying through by
   * n0*n1 and squaring turns `|mean0 - mean1| <= sqrt(2 m v d')` into a product comparison.
   * The screen's margins (a relative 1e-10 on the bound, and 1e-14 of the magnitudes on the
   * difference, far above the few ulps either side can round by) make it skip only splits
   * River's own float arithmetic also rejects; any split it cannot rule out is evaluated
   * with River's exact formula, so the detections stay bit-identical.
   */
  private findCut(): boolean {
    const width = this.width;
    const minLength = this.minWindowLength;
    const totals = this.totals;
    const counts = this.counts;
    const cap = this.cap;
    // Constant within a pass (the window only changes by the deletion that ends it), so
    // hoisting them leaves every compared value bit-identical to River's per-cut formula.
    const deltaPrime = Math.log((2 * Math.log(width)) / this.delta);
    const windowVariance = this.variance / width;
    // The screen's error analysis needs normal, positive, unextreme magnitudes and non-empty
    // sub-windows; outside them (a constant stream, huge values, odd options) every split
    // takes the exact path.
    const scale = 2 * windowVariance * deltaPrime;
    // a + b below is the same for every split; n0 * n1 never exceeds width^2 / 4, so a
    // finite bound for that product keeps every split's bound finite.
    const sumAB = width - 2 * minLength + 2;
    let screenBound = scale > 1e-250 && scale < 1e250 && minLength >= 1 ? scale * (1 - 1e-10) * sumAB : -1;
    if (!(screenBound * ((width * width) / 4) * ((width * width) / 4) * 2 < Infinity)) screenBound = -1;
    let n0 = 0;
    let n1 = width;
    let u0 = 0;
    let u1 = this.total;
    let bucketSize = 2 ** (this.nRows - 1);
    // Oldest row first, oldest bucket first: W0 grows from the old end of the window.
    for (let row = this.nRows - 1; row >= 0; row--) {
      const base = row * cap;
      // The newest bucket of row 0 never ends W0: W1 must keep at least one point.
      const end = base + (row === 0 ? counts[0]! - 1 : counts[row]!);
      for (let k = base; k < end; k++) {
        n0 += bucketSize;
        n1 -= bucketSize;
        const t = totals[k]!;
        u0 += t;
        u1 -= t;
        if (n1 < minLength || n0 < minLength) continue;
        const a = n0 - minLength + 1;
        const b = n1 - minLength + 1;
        const n01 = n0 * n1;
        const diff = Math.abs(u0 * n1 - u1 * n0) + 1e-14 * (Math.abs(u0) * n1 + Math.abs(u1) * n0) + 1e-300;
        if (diff * diff * (a * b) <= screenBound * n01 * n01) continue;
        const deltaMean = u0 / n0 - u1 / n1;
        const mRecip = 1 / a + 1 / b;
        const epsilon = Math.sqrt(2 * mRecip * windowVariance * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
        if (Math.abs(deltaMean) > epsilon) return true;
      }
      bucketSize /= 2;
    }
    return false;
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

  static fromJSON(state: DetectorState): PreviousADWIN {
    expectKind(state, 'ADWIN');
    const s = state as ADWINState;
    const d = new PreviousADWIN(s.options);
    d.drift = s.driftDetected;
    d.total = s.total;
    d.variance = s.variance;
    d.width = s.width;
    d.totalWidth = s.totalWidth;
    d.nBuckets = s.nBuckets;
    d.maxNBuckets = s.maxNBuckets;
    d.tick = s.tick;
    if (d.phase >= 0) d.phase = s.tick % d.clock;
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
