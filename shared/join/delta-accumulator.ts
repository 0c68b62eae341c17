// Sums a batch's counter deltas per (family, bucket), the shape one apply call sends.
import type { BucketDeltas } from '../monitor-state/types.js';
import type { FieldSlots } from './field-slots.js';

/** Fields a group looks its slots up among one by one; past them it keeps a table by slot. */
const SCANNED_FIELDS = 16;

/**
 * The counters of one (family, bucket), by field slot, in the order each slot was first added
 * to. Each field's sum is the same double the terms added one by one, in the order they came,
 * give (0 + a + b + ...); the slots become names only in DeltaAccumulator.toDeltas().
 *
 * A batch makes a group for every (family, bucket) it touches, and most hold a few counts (a
 * cov family, a late outcome's bucket): those are two short arrays, searched. A group that
 * outgrows them (an outcome bucket's score bins) moves to typed arrays sized for every field
 * the model has, with a table from slot to position.
 */
export class CounterGroup {
  private count = 0;
  private slots: Int32Array | number[] = [];
  // Double elements: the sums stay unboxed in a plain array too.
  private values: Float64Array | number[] = [];
  /** Position + 1 of each slot's field, 0 for none; once the group has more than SCANNED_FIELDS. */
  private indexes: Int32Array | null = null;

  constructor(
    readonly family: string,
    readonly bucketStart: number,
    /** The model's slots: their number sizes the typed arrays. */
    private readonly fields: FieldSlots,
  ) {}

  /** Adds to one field; a field added to is sent even if its sum is 0. */
  add(slot: number, by: number): void {
    let at = this.indexOf(slot);
    if (at < 0) at = this.append(slot);
    this.values[at]! += by;
  }

  get size(): number {
    return this.count;
  }

  /** The i-th field first added to: its slot... */
  slotAt(i: number): number {
    return this.slots[i]!;
  }

  /** ...and its sum. */
  valueAt(i: number): number {
    return this.values[i]!;
  }

  private indexOf(slot: number): number {
    const indexes = this.indexes;
    if (indexes !== null) return slot < indexes.length ? indexes[slot]! - 1 : -1;
    const slots = this.slots;
    for (let i = 0; i < this.count; i += 1) if (slots[i] === slot) return i;
    return -1;
  }

  private append(slot: number): number {
    const at = this.count;
    if (this.indexes === null && at === SCANNED_FIELDS) this.growUp();
    if (this.indexes === null) {
      (this.slots as number[]).push(slot);
      (this.values as number[]).push(0);
    } else {
      if (at === this.slots.length) this.resize(2 * at);
      this.slots[at] = slot;
      if (slot >= this.indexes.length) {
        const indexes = new Int32Array(Math.max(slot + 1, 2 * this.indexes.length));
        indexes.set(this.indexes);
        this.indexes = indexes;
      }
      this.indexes[slot] = at + 1;
    }
    this.count = at + 1;
    return at;
  }

  /** From the short arrays to the typed ones. */
  private growUp(): void {
    const slots = this.slots;
    let highest = 0;
    for (let i = 0; i < this.count; i += 1) highest = Math.max(highest, slots[i]!);
    this.resize(Math.max(2 * this.count, this.fields.size));
    const indexes = new Int32Array(Math.max(highest + 1, this.fields.size));
    for (let i = 0; i < this.count; i += 1) indexes[slots[i]!] = i + 1;
    this.indexes = indexes;
  }

  private resize(capacity: number): void {
    const slots = new Int32Array(capacity);
    const values = new Float64Array(capacity);
    for (let i = 0; i < this.count; i += 1) {
      slots[i] = this.slots[i]!;
      values[i] = this.values[i]!;
    }
    this.slots = slots;
    this.values = values;
  }
}

export class DeltaAccumulator {
  private readonly families = new Map<string, Map<number, CounterGroup>>();
  private readonly generation: number;
  // The last two groups asked: consecutive outcomes mostly fall in the same bucket, and each
  // adds to two families (its perf counters, then its cov count).
  private recent: CounterGroup | null = null;
  private previous: CounterGroup | null = null;

  /** `fields`: the slots the groups are summed by; not reset before toDeltas(). */
  constructor(private readonly fields: FieldSlots) {
    this.generation = fields.generation;
  }

  /** The counters of one (family, bucket), created empty on first use. */
  group(family: string, bucketStart: number): CounterGroup {
    const recent = this.recent;
    if (recent !== null && recent.bucketStart === bucketStart && recent.family === family) return recent;
    const previous = this.previous;
    let group: CounterGroup;
    if (previous !== null && previous.bucketStart === bucketStart && previous.family === family) group = previous;
    else group = this.lookup(family, bucketStart);
    this.previous = recent;
    this.recent = group;
    return group;
  }

  add(family: string, bucketStart: number, slot: number, by: number): void {
    this.group(family, bucketStart).add(slot, by);
  }

  get empty(): boolean {
    return this.families.size === 0;
  }

  /** Each group's fields by name, in the order groups were made and fields first added to. */
  toDeltas(): BucketDeltas[] {
    if (this.fields.generation !== this.generation) throw new Error('the field slots were reset while a batch was summed by them');
    const out: BucketDeltas[] = [];
    for (const [family, buckets] of this.families) {
      for (const [bucketStart, group] of buckets) {
        // No prototype: a class named "__proto__" or "constructor" is an ordinary field.
        const counters = Object.create(null) as Record<string, number>;
        for (let i = 0; i < group.size; i += 1) counters[this.fields.name(group.slotAt(i))] = group.valueAt(i);
        out.push({ family, bucketStart, counters });
      }
    }
    return out;
  }

  private lookup(family: string, bucketStart: number): CounterGroup {
    let buckets = this.families.get(family);
    if (buckets === undefined) {
      buckets = new Map();
      this.families.set(family, buckets);
    }
    let group = buckets.get(bucketStart);
    if (group === undefined) {
      group = new CounterGroup(family, bucketStart, this.fields);
      buckets.set(bucketStart, group);
    }
    return group;
  }
}
