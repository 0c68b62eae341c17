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
 * Updates that row 0 holds beyond River's maxBuckets + 1 before they are merged upwards. The
 * default clock (32) checks, and so merges, before row 0 fills; other clocks merge when it does.
 */
const PENDING_CAPACITY = 32;

/** 2^i for the row indices a window can reach: `2 ** i` compiles to a Math.pow call, about as costly as the rest of a cut check. */
const POWERS_OF_TWO = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);

function powerOfTwo(i: number): number {
  return i < 64 ? POWERS_OF_TWO[i]! : 2 ** i;
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
 *
 * River merges buckets on every insert; here inserts wait in row 0 and are merged in one pass
 * when a cut check (or `toJSON`) needs the buckets. Merging always takes a row's two oldest
 * buckets, so the batch makes the same merges, in the same order, with the same arithmetic:
 * every bucket, statistic and detection is bit-identical to River's. `updateMany` feeds a
 * batch of values with the inserts between two checks in one loop.
 */
export class ADWIN implements DriftDetector {
  readonly options: Readonly<Required<ADWINOptions>>;
  private drift = false;
  private total = 0;
  private variance = 0;
  private width = 0;
  private totalWidth = 0;
  /**
   * At least the sum of |bucket total| over the window (the cut screen's rounding allowance
   * scales with it): |x| summed over the inserts since the last reset or restore, on top of
   * the restored buckets' sum. Deletions leave it as an upper bound. Not part of the state.
   */
  private magnitude = 0;
  private nBuckets = 0;
  private maxNBuckets = 0;
  /** River's update count when `next` was last set other than by an insert (see setNext). */
  private tick = 0;
  private nDetections = 0;
  // Copies of the options read on every update: plain fields load faster than a frozen object's.
  private readonly maxBuckets: number;
  private readonly clock: number;
  private readonly gracePeriod: number;
  private readonly minWindowLength: number;
  private readonly delta: number;
  /** A positive integer clock, whose next due check can be counted down to. */
  private readonly countableClock: boolean;
  // deltaPrimeLowerBound's cache: the floor(log2 W) it was computed for, and the bound.
  private boundLog2 = -1;
  private boundDeltaPrime = -Infinity;
  // Rows of buckets in flat typed arrays: row r occupies [r * stride, (r + 1) * stride). A
  // row holds at most maxBuckets buckets between merges; the slack is room for row 0's
  // pending inserts and for what one merge pass carries into the rows above. The arrays grow
  // by doubling, so an update allocates nothing.
  private readonly stride: number;
  /** Rows one merge pass can add: one per halving of a full row 0. */
  private readonly spareRows: number;
  private rowCapacity = 8;
  private nRows = 1;
  /** Merged buckets per row; row 0's pending inserts come after its counts[0] merged ones. */
  private counts: Int32Array;
  /** Row 0's next free slot: counts[0] plus the inserts not merged yet. */
  private next = 0;
  /** `next` when it was last set other than by an insert: tick + next - syncedNext is River's tick. */
  private syncedNext = 0;
  /** With a countable clock, the `next` at which River's next cut check is due (its tick a multiple of the clock). */
  private dueAt: number;
  /** The `next` at which an update must check for a cut or merge a full row 0 (see event). */
  private eventAt = 0;
  /** Where the merge of row 0's k-th pair of points goes: slot pairBase + k, row 1's next free ones. */
  private pairBase: number;
  private totals: Float64Array;
  /** Row 0's stay 0: a single point has no variance term, which the merges rely on. */
  private variances: Float64Array;

  constructor(options: ADWINOptions = {}) {
    this.options = Object.freeze({
      delta: options.delta ?? 0.002,
      clock: options.clock ?? 32,
      maxBuckets: options.maxBuckets ?? 5,
      minWindowLength: options.minWindowLength ?? 5,
      gracePeriod: options.gracePeriod ?? 10,
    });
    // River takes it as a usize and panics on its first merge when it is 0.
    if (!Number.isInteger(this.options.maxBuckets) || this.options.maxBuckets < 1) {
      throw new RangeError(`ADWIN maxBuckets must be an integer >= 1, got ${this.options.maxBuckets}`);
    }
    this.maxBuckets = this.options.maxBuckets;
    this.clock = this.options.clock;
    this.gracePeriod = this.options.gracePeriod;
    this.minWindowLength = this.options.minWindowLength;
    this.delta = this.options.delta;
    this.countableClock = Number.isInteger(this.clock) && this.clock > 0;
    this.stride = this.maxBuckets + 1 + PENDING_CAPACITY;
    this.spareRows = 34 - Math.clz32(this.stride);
    this.pairBase = this.stride;
    this.dueAt = this.clock;
    this.counts = new Int32Array(this.rowCapacity);
    this.totals = new Float64Array(this.rowCapacity * this.stride);
    this.variances = new Float64Array(this.rowCapacity * this.stride);
    this.scheduleEvent();
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
    this.magnitude = 0;
    this.nBuckets = 0;
    this.maxNBuckets = 0;
    this.tick = 0;
    this.nDetections = 0;
    this.nRows = 1;
    // Slots past a row's count are never read, so only the counts need clearing.
    this.counts.fill(0);
    this.next = 0;
    this.syncedNext = 0;
    this.dueAt = this.clock;
    this.pairBase = this.stride;
    this.scheduleEvent();
  }

  update(x: number): void {
    if (this.drift) this.reset();
    const value = +x;
    const j = this.next;
    const totals = this.totals;
    totals[j] = value;
    // A point completing a pair of row 0 is merged with its partner now, while both are at
    // hand; mergePending only counts the pairs that River has merged by then.
    if ((j & 1) !== 0) {
      const older = totals[j - 1]!;
      const d = older - value;
      const at = this.pairBase + (j >> 1);
      totals[at] = older + value;
      this.variances[at] = 0.5 * d * d;
    }
    this.next = j + 1;
    // River's streaming variance, in its order of operations (prev is its width - 1).
    const prev = this.width;
    const width = prev + 1;
    let incrementalVariance = 0;
    if (prev > 0) {
      const deltaV = value - this.total / prev;
      incrementalVariance = (prev * deltaV * deltaV) / width;
    }
    this.width = width;
    this.variance += incrementalVariance;
    this.total += value;
    this.magnitude += Math.abs(value);
    let changeDetected = false;
    if (j + 1 === this.eventAt) changeDetected = this.event();
    this.totalWidth += this.width;
    if (changeDetected) {
      this.nDetections += 1;
      this.drift = true;
    }
  }

  /**
   * `update` for each value in turn; returns the positions in `values` where drift was
   * detected. Afterwards the detector is where the last `update` would have left it.
   *
   * The updates between two events (a due cut check, a full row 0) only insert, so they run
   * in one loop that keeps the window's statistics in locals.
   */
  updateMany(values: ArrayLike<number>): number[] {
    const detections: number[] = [];
    const n = values.length;
    let i = 0;
    while (i < n) {
      if (this.drift) this.reset();
      const plainEnd = i + Math.min(n - i, this.eventAt - this.next - 1);
      if (i < plainEnd) {
        const totals = this.totals;
        const variances = this.variances;
        const pairBase = this.pairBase;
        let j = this.next;
        let older = j > 0 ? totals[j - 1]! : 0;
        let width = this.width;
        let total = this.total;
        let variance = this.variance;
        let totalWidth = this.totalWidth;
        let magnitude = this.magnitude;
        for (; i < plainEnd; i++) {
          const value = +values[i]!;
          totals[j] = value;
          if ((j & 1) !== 0) {
            const d = older - value;
            const at = pairBase + (j >> 1);
            totals[at] = older + value;
            variances[at] = 0.5 * d * d;
          }
          older = value;
          j += 1;
          const prev = width;
          width = prev + 1;
          let incrementalVariance = 0;
          if (prev > 0) {
            const deltaV = value - total / prev;
            incrementalVariance = (prev * deltaV * deltaV) / width;
          }
          variance += incrementalVariance;
          total += value;
          magnitude += Math.abs(value);
          totalWidth += width;
        }
        this.next = j;
        this.width = width;
        this.total = total;
        this.variance = variance;
        this.totalWidth = totalWidth;
        this.magnitude = magnitude;
      }
      // The update that reaches the event.
      if (i < n) {
        this.update(values[i]!);
        if (this.drift) detections.push(i);
        i += 1;
      }
    }
    return detections;
  }

  /** River's tick: updates since the last reset. */
  private currentTick(): number {
    return this.tick + this.next - this.syncedNext;
  }

  /** Moves row 0's free slot other than by an insert, keeping the tick and the due check's update. */
  private setNext(next: number): void {
    this.tick = this.currentTick();
    this.dueAt += next - this.next;
    this.next = next;
    this.syncedNext = next;
    this.scheduleEvent();
  }

  /**
   * Runs River's cut check when the clock says so, or merges a full row 0, then schedules the
   * next event. A countable clock's checks are counted down (dueAt) rather than found by
   * `tick % clock`, a floating-point remainder on every event; other clocks (River would
   * reject most) get an event on every update, which evaluates `tick % clock` as River does.
   */
  private event(): boolean {
    let due: boolean;
    if (this.countableClock) {
      due = this.next === this.dueAt;
      if (due) this.dueAt += this.clock;
    } else {
      due = this.currentTick() % this.clock === 0;
    }
    let changeDetected = false;
    if (due && this.width > this.gracePeriod) changeDetected = this.detectChange();
    else if (this.next === this.stride) this.mergePending();
    this.scheduleEvent();
    return changeDetected;
  }

  /** The next event: the update on which a check is due or row 0 fills, whichever comes first. */
  private scheduleEvent(): void {
    this.eventAt = this.countableClock ? Math.min(this.dueAt, this.stride) : this.next + 1;
  }

  private ensureRows(rows: number): void {
    if (rows <= this.rowCapacity) return;
    const capacity = Math.max(rows, this.rowCapacity * 2);
    const counts = new Int32Array(capacity);
    counts.set(this.counts);
    const totals = new Float64Array(capacity * this.stride);
    totals.set(this.totals);
    const variances = new Float64Array(capacity * this.stride);
    variances.set(this.variances);
    this.counts = counts;
    this.totals = totals;
    this.variances = variances;
    this.rowCapacity = capacity;
  }

  /** Merges each complete pair of row 0 into row 1's free slots (see update). */
  private pairRow0(): void {
    const base = this.stride + this.counts[1]!;
    const totals = this.totals;
    const variances = this.variances;
    this.pairBase = base;
    for (let k = 0; 2 * k + 1 < this.next; k++) {
      const older = totals[2 * k]!;
      const newer = totals[2 * k + 1]!;
      const d = older - newer;
      totals[base + k] = older + newer;
      variances[base + k] = 0.5 * d * d;
    }
  }

  /**
   * Merges row 0's pending inserts upwards, leaving the rows as River's merge-on-every-insert
   * would: a row that reached maxBuckets + 1 merged its two oldest buckets into one bucket at
   * the end of the row above, so k arrivals on top of c buckets make ceil((c + k - maxBuckets) / 2)
   * merges of the oldest pairs, in order, and leave maxBuckets - 1 or maxBuckets buckets.
   *
   * Row 0's merges are already in row 1's free slots (update computes a pair's merge when its
   * second point arrives): River's v0 + v1 + 1 * 0.5 * (t0 / 1 - t1 / 1)^2 with v0 = v1 = 0 is
   * 0.5 (t0 - t1)^2 to the bit, since the square term is never -0.
   */
  private mergePending(): void {
    let count = this.next;
    const inserts = count - this.counts[0]!;
    if (inserts === 0) return;
    this.ensureRows(this.nRows + this.spareRows);
    const counts = this.counts;
    const totals = this.totals;
    const variances = this.variances;
    const maxBuckets = this.maxBuckets;
    const stride = this.stride;
    let merges = 0;
    // River raises its bucket count per insert and per merge but records the peak only at an
    // insert, so the peak of this batch is the count before the newest insert's own merges.
    let newestCascade = 0;
    let cascading = true;
    let row = 0;
    let bucketSize = 1;
    let inverseSize = 1;
    for (; count > maxBuckets; row++) {
      const pairs = (count - maxBuckets + 1) >> 1;
      if (cascading) {
        // The newest arrival merges iff the row held maxBuckets just before it.
        const before = count - 1;
        cascading = before >= maxBuckets && ((before - maxBuckets) & 1) === 0;
        if (cascading) newestCascade += 1;
      }
      const start = row * stride;
      const end = start + 2 * pairs;
      const above = counts[row + 1]!;
      if (row === 0) {
        // The kept buckets move to the front of the row. Moving maxBuckets slots whatever
        // their number keeps the loop length fixed (and predictable); the extra slots copied
        // lie past the row's count, where nothing is read.
        for (let k = 0; k < maxBuckets; k++) totals[k] = totals[end + k]!;
      } else {
        let to = start + stride + above;
        const halfSize = bucketSize * 0.5;
        for (let k = start; k < end; k += 2) {
          const t0 = totals[k]!;
          const t1 = totals[k + 1]!;
          // Multiplying by the exact reciprocal of a power of two rounds the same real value
          // as River's division, so the means are bit-identical, without a division's latency.
          const mu1 = t0 * inverseSize;
          const mu2 = t1 * inverseSize;
          totals[to] = t0 + t1;
          variances[to] = variances[k]! + variances[k + 1]! + halfSize * (mu1 - mu2) * (mu1 - mu2);
          to += 1;
        }
        for (let k = 0; k < maxBuckets; k++) {
          totals[start + k] = totals[end + k]!;
          variances[start + k] = variances[end + k]!;
        }
      }
      counts[row] = count - 2 * pairs;
      count = above + pairs;
      counts[row + 1] = count;
      merges += pairs;
      bucketSize *= 2;
      inverseSize *= 0.5;
    }
    counts[row] = count;
    if (row >= this.nRows) this.nRows = row + 1;
    this.nBuckets += inserts + merges;
    const peak = this.nBuckets - newestCascade;
    if (peak > this.maxNBuckets) this.maxNBuckets = peak;
    this.setNext(counts[0]!);
    this.pairRow0();
  }

  private deleteElement(): void {
    const last = this.nRows - 1;
    const count = this.counts[last]!;
    // Only with maxBuckets 1 can the row below a removed top row be empty. River 0.26.1 then
    // reads the emptied slot and panics removing from it; carrying on would be a guess.
    if (count === 0) throw new Error('ADWIN cannot drop a bucket from an empty row (River 0.26.1 panics here too)');
    const at = last * this.stride;
    const n = powerOfTwo(last);
    const u = this.totals[at]!;
    const v = this.variances[at]!;
    const mu = u / n;
    this.width -= n;
    this.total -= u;
    const muWindow = this.total / this.width;
    this.variance -= v + (n * this.width * (mu - muWindow) * (mu - muWindow)) / (n + this.width);
    const totals = this.totals;
    const variances = this.variances;
    for (let k = at; k < at + count - 1; k++) {
      totals[k] = totals[k + 1]!;
      variances[k] = variances[k + 1]!;
    }
    this.counts[last] = count - 1;
    this.nBuckets -= 1;
    if (count === 1 && last > 0) this.nRows -= 1;
  }

  /** Merges pending inserts, then River's cut check, repeated after each deletion of the oldest bucket; true if any cut held. */
  private detectChange(): boolean {
    this.mergePending();
    let changeDetected = false;
    while (this.width > 0 && this.findCut()) {
      changeDetected = true;
      this.deleteElement();
    }
    if (changeDetected) {
      // A deletion from row 0 or 1 moves row 0's pairs or their slots.
      this.setNext(this.counts[0]!);
      this.pairRow0();
    }
    return changeDetected;
  }

  /**
   * Whether some split of the window into an older W0 and a newer W1 has means farther apart
   * than River's bound `eps = sqrt(2 m v d') + 2/3 d' m` (m = 1/a + 1/b, a = n0 - L + 1,
   * b = n1 - L + 1), testing splits in River's order and stopping at the first that holds.
   *
   * Most checks find no cut, so each row of buckets is first ruled out as a whole. Scaled by
   * n0 n1, a split's test is |D| > eps n0 n1 with D = u0 n1 - u1 n0. Since a <= n0 and b <= n1,
   * m n0 n1 >= n0 + n1 = W, so eps n0 n1 >= sqrt(2 v d' W n0 n1) + 2/3 d' W; n0 n1 is concave
   * along the row, so its smaller end value bounds every split of the row. A row whose
   * largest |D|, plus an allowance for rounding, stays under that bound has no cut. A row that
   * cannot be ruled out is tested split by split (cutInRow).
   *
   * Rounding: River's |mean0 - mean1| n0 n1 and the |D| computed here each differ from the
   * exact D of River's own u0 and u1 by at most 2^-52 (|u0| n1 + |u1| n0). |u0| <= sum|t| and
   * |u1| <= |U| + sum|t| (U the window's total), so `magnitude`, (sum|t| + |U|) W, bounds that
   * sum, and the allowance 4e-15 magnitude is ten times both errors. River's eps, the bound's
   * ingredients (d' rounded down, the variance computed as River computes it) and the few
   * operations comparing them are within a few ulps of exact; the relative margins of 1e-10
   * and 1e-9 cover them many times over.
   *
   * u0 and u1 are accumulated bucket by bucket exactly as River does, so a row tested split
   * by split sees River's values.
   */
  private findCut(): boolean {
    const width = this.width;
    const total = this.total;
    const totals = this.totals;
    const counts = this.counts;
    const stride = this.stride;
    const deltaPrime = this.deltaPrimeLowerBound(width);
    // A row is clear when (largest |D| + allowance) stays below sqrt(spread n0 n1) + offset at
    // both its ends: excess = (largest + allowance) (1 + 1e-10) - offset (1 - 1e-10) <= 0, or
    // excess^2 <= spreadMargin n0 n1.
    const spread = 2 * (this.variance / width) * deltaPrime * width;
    const offset = (2 / 3) * deltaPrime * width;
    const magnitude = (this.magnitude + Math.abs(total)) * width;
    // Outside normal magnitudes (a constant stream, huge values, non-finite values, odd
    // options) the rounding argument does not hold, and every row is tested split by split.
    const screen = this.minWindowLength >= 1 && deltaPrime >= 1e-3 && spread > 1e-200 && spread < 1e200 && magnitude < 1e290;
    const grow = 1 + 1e-10;
    const ceiling = offset * (1 - 1e-10) - (4e-15 * magnitude + 1e-250) * grow;
    const spreadMargin = spread * (1 - 1e-9);
    let n0 = 0;
    let n1 = width;
    let u0 = 0;
    let u1 = total;
    let bucketSize = powerOfTwo(this.nRows - 1);
    // River skips splits that leave W1 fewer than minWindowLength points: with maxBuckets
    // below it (the defaults), every split inside row 0 is one of them.
    const lowestRow = counts[0]! - 1 < this.minWindowLength ? 1 : 0;
    // Oldest row first, oldest bucket first: W0 grows from the old end of the window.
    for (let row = this.nRows - 1; row >= lowestRow; row--) {
      const base = row * stride;
      // The newest bucket of row 0 never ends W0: W1 must keep at least one point.
      const end = base + (row === 0 ? counts[0]! - 1 : counts[row]!);
      const n0Start = n0;
      const n1Start = n1;
      const u0Start = u0;
      const u1Start = u1;
      let largest = 0;
      for (let k = base; k < end; k++) {
        const t = totals[k]!;
        n0 += bucketSize;
        n1 -= bucketSize;
        u0 += t;
        u1 -= t;
        // Math.max rather than a branch: which split is largest is a coin toss the branch
        // predictor loses.
        largest = Math.max(largest, Math.abs(u0 * n1 - u1 * n0));
      }
      const excess = largest * grow - ceiling;
      const first = (n0Start + bucketSize) * (n1Start - bucketSize);
      const last = n0 * n1;
      if (!(excess <= 0 || (excess * excess <= spreadMargin * first && excess * excess <= spreadMargin * last)) || !screen) {
        if (end > base && this.cutInRow(base, end, bucketSize, n0Start, n1Start, u0Start, u1Start)) return true;
      }
      bucketSize *= 0.5;
    }
    return false;
  }

  /**
   * A lower bound of River's d' = ln(2 ln W / delta) that changes only when W crosses a power
   * of two: ln W >= floor(log2 W) ln 2. It costs two logarithms per power of two instead of
   * per check; the row screen loses about 1% of its bound, and exact tests use the real d'.
   */
  private deltaPrimeLowerBound(width: number): number {
    if (!(width >= 1 && width < 2147483648)) return -Infinity;
    const log2Floor = 31 - Math.clz32(width);
    if (log2Floor !== this.boundLog2) {
      this.boundLog2 = log2Floor;
      this.boundDeltaPrime = Math.log((2 * log2Floor * Math.LN2) / this.delta) * (1 - 1e-12);
    }
    return this.boundDeltaPrime;
  }

  /**
   * River's test, split by split, over the row's buckets [base, end), from the sub-window
   * sums and sizes before the row.
   *
   * Each split is first screened without divisions or square roots: multiplying through by
   * n0*n1 and squaring turns `|mean0 - mean1| <= sqrt(2 m v d')` into a product comparison.
   * The screen's margins (a relative 1e-10 on the bound, and 1e-14 of the magnitudes on the
   * difference, far above the few ulps either side can round by) make it skip only splits
   * River's own float arithmetic also rejects; any split it cannot rule out is evaluated
   * with River's exact formula, so the detections stay bit-identical.
   */
  private cutInRow(base: number, end: number, bucketSize: number, n0: number, n1: number, u0: number, u1: number): boolean {
    const width = this.width;
    const minLength = this.minWindowLength;
    const totals = this.totals;
    // Constant within a pass (the window only changes by the deletion that ends it), so
    // computing them here leaves every compared value bit-identical to River's per-cut formula.
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
    return false;
  }

  toJSON(): ADWINState {
    this.mergePending();
    const rows: ADWINState['rows'] = [];
    for (let r = 0; r < this.nRows; r++) {
      const start = r * this.stride;
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
      tick: this.currentTick(),
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
    d.ensureRows(Math.max(2, s.rows.length) + d.spareRows);
    d.nRows = Math.max(1, s.rows.length);
    s.rows.forEach((row, r) => {
      if (row.totals.length > d.maxBuckets + 1 || row.variances.length !== row.totals.length) {
        throw new RangeError('ADWIN state has a malformed bucket row');
      }
      if (r === 0 && row.variances.some((v) => v !== 0)) {
        throw new RangeError('ADWIN state has a variance in a single-point bucket');
      }
      d.totals.set(row.totals, r * d.stride);
      d.variances.set(row.variances, r * d.stride);
      d.counts[r] = row.totals.length;
      for (const t of row.totals) d.magnitude += Math.abs(t);
    });
    d.setNext(d.counts[0]!);
    d.dueAt = d.next + d.clock - (s.tick % d.clock);
    d.scheduleEvent();
    d.pairRow0();
    return d;
  }
}
