import type { Mergeable, Revertible } from './mergeable.js';
import { isRevertible } from './mergeable.js';

export interface RollingWindowOptions<T> {
  /** Event-time width of one bucket. */
  bucketMs: number;
  /** Window length; a whole number of buckets. */
  horizonMs: number;
  /** A fresh empty state (carrying whatever configuration the state needs). */
  create: () => T;
}

/**
 * A rolling window as the sum of its event-time buckets, in memory and without timers:
 * time only moves when `add` sees a later event or `advanceTo` is called.
 *
 * The window ending at watermark W (the start of the latest bucket) holds the buckets
 * starting in (W − horizon, W]. Revertible states keep a running total (merge a delta in,
 * subtract an evicted bucket out), so reading costs one clone whatever the horizon;
 * states without `subtract` (Reservoir) are re-merged from the live buckets on read.
 */
export class RollingWindow<T extends Mergeable<T>> {
  readonly bucketMs: number;
  readonly horizonMs: number;
  private readonly create: () => T;
  private readonly buckets = new Map<number, T>();
  private readonly running: (T & Revertible<T>) | undefined;
  private watermarkValue = Number.NEGATIVE_INFINITY;

  constructor(options: RollingWindowOptions<T>) {
    const { bucketMs, horizonMs } = options;
    if (!(bucketMs > 0) || !Number.isInteger(bucketMs)) throw new RangeError(`bucketMs must be a positive integer, got ${bucketMs}`);
    if (!(horizonMs > 0) || horizonMs % bucketMs !== 0) {
      throw new RangeError(`horizonMs must be a positive multiple of bucketMs, got ${horizonMs}`);
    }
    this.bucketMs = bucketMs;
    this.horizonMs = horizonMs;
    this.create = options.create;
    const probe = this.create();
    this.running = isRevertible(probe) ? probe : undefined;
  }

  bucketStart(eventTimeMs: number): number {
    return Math.floor(eventTimeMs / this.bucketMs) * this.bucketMs;
  }

  /** Start of the newest bucket seen so far (−Infinity before the first event). */
  get watermark(): number {
    return this.watermarkValue;
  }

  /**
   * Merges `delta` (the aggregate of some events of one bucket) into the bucket holding
   * `eventTimeMs`, moving the watermark forward if needed. Returns false, changing
   * nothing, when that bucket has already left the window.
   */
  add(eventTimeMs: number, delta: T): boolean {
    const start = this.bucketStart(eventTimeMs);
    if (start > this.watermarkValue) this.advanceTo(start);
    if (start <= this.watermarkValue - this.horizonMs) return false;
    let bucket = this.buckets.get(start);
    if (!bucket) {
      bucket = this.create();
      this.buckets.set(start, bucket);
    }
    bucket.merge(delta);
    this.running?.merge(delta);
    return true;
  }

  /** Moves the watermark to the bucket holding `timeMs` and evicts buckets that fell out. */
  advanceTo(timeMs: number): void {
    const start = this.bucketStart(timeMs);
    if (start <= this.watermarkValue) return;
    this.watermarkValue = start;
    const oldestLive = start - this.horizonMs + this.bucketMs;
    for (const [bucketStart, bucket] of this.buckets) {
      if (bucketStart < oldestLive) {
        this.running?.subtract(bucket);
        this.buckets.delete(bucketStart);
      }
    }
  }

  /** The merged state of the live buckets, as a new object the caller may keep. */
  state(): T {
    if (this.running) return this.running.clone();
    const total = this.create();
    for (const start of [...this.buckets.keys()].sort((a, b) => a - b)) {
      total.merge(this.buckets.get(start) as T);
    }
    return total;
  }

  /** Live buckets by start time, oldest first. */
  entries(): [number, T][] {
    return [...this.buckets.entries()].sort(([a], [b]) => a - b);
  }
}
