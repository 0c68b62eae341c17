import type { Mergeable } from './mergeable.js';
import type { RandomSource } from './random.js';

export interface ReservoirJson<T> {
  capacity: number;
  seen: number;
  items: T[];
}

/**
 * A uniform random sample of at most `capacity` items from everything seen (Algorithm R).
 *
 * Merging two reservoirs gives a uniform sample of the union: the merged sample's size
 * from each side follows the hypergeometric law, drawn slot by slot with probability
 * proportional to how many of each side's *seen* items are still unrepresented, and each
 * slot takes a random not-yet-taken item of that side's sample.
 *
 * There is no `subtract`: once items are sampled away, nothing can tell which of the
 * survivors came from the bucket being evicted. A rolling window therefore keeps one
 * reservoir per bucket and re-merges the live buckets when it is read (RollingWindow does
 * this for any state without `subtract`); the window's sample is uniform over the live
 * buckets' items, and an evicted bucket leaves no trace.
 *
 * Serialization is JSON (`toJSON` / `fromJSON`), items must be JSON values.
 */
export class Reservoir<T> implements Mergeable<Reservoir<T>> {
  readonly capacity: number;
  private readonly random: RandomSource;
  private sample: T[] = [];
  private seenCount = 0;

  constructor(capacity: number, random: RandomSource = Math.random) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.random = random;
  }

  update(item: T): void {
    this.seenCount += 1;
    if (this.sample.length < this.capacity) {
      this.sample.push(item);
      return;
    }
    const slot = Math.floor(this.random() * this.seenCount);
    if (slot < this.capacity) this.sample[slot] = item;
  }

  get seen(): number {
    return this.seenCount;
  }

  get items(): readonly T[] {
    return this.sample;
  }

  merge(other: Reservoir<T>): Reservoir<T> {
    if (other.capacity !== this.capacity) {
      throw new RangeError(`cannot merge reservoirs of capacity ${this.capacity} and ${other.capacity}`);
    }
    if (other.seenCount === 0) return this;
    const mine = [...this.sample];
    const theirs = [...other.sample];
    let restMine = this.seenCount;
    let restTheirs = other.seenCount;
    const size = Math.min(this.capacity, restMine + restTheirs);
    const merged: T[] = [];
    while (merged.length < size) {
      const fromMine = this.random() * (restMine + restTheirs) < restMine;
      const pool = fromMine ? mine : theirs;
      merged.push(takeRandom(pool, this.random));
      if (fromMine) restMine -= 1;
      else restTheirs -= 1;
    }
    this.sample = merged;
    this.seenCount += other.seenCount;
    return this;
  }

  clone(): Reservoir<T> {
    const copy = new Reservoir<T>(this.capacity, this.random);
    copy.sample = [...this.sample];
    copy.seenCount = this.seenCount;
    return copy;
  }

  toJSON(): ReservoirJson<T> {
    return { capacity: this.capacity, seen: this.seenCount, items: [...this.sample] };
  }

  static fromJSON<T>(json: ReservoirJson<T>, random: RandomSource = Math.random): Reservoir<T> {
    const r = new Reservoir<T>(json.capacity, random);
    if (!Number.isInteger(json.seen) || json.items.length !== Math.min(json.capacity, json.seen)) {
      throw new RangeError('a reservoir holds min(capacity, seen) items; this JSON does not');
    }
    r.sample = [...json.items];
    r.seenCount = json.seen;
    return r;
  }
}

/** Removes and returns a uniformly chosen element (swap with last, pop). */
function takeRandom<T>(pool: T[], random: RandomSource): T {
  // A side with rest > 0 always has an item left: its sample holds min(capacity, seen)
  // items and at most that many are drawn from it.
  const i = Math.floor(random() * pool.length);
  const last = pool.length - 1;
  const chosen = pool[i] as T;
  pool[i] = pool[last] as T;
  pool.pop();
  return chosen;
}
