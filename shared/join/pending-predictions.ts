// The predictions a partition's join holds, in a compact form: columns of typed arrays in
// arrival (offset) order, a ring whose head is the oldest, and an open-addressing index from
// the id's 64-bit hash to the oldest entry with that id (newer entries with the same id are
// chained from it). 59 bytes per prediction without probabilities (see `bytesPerEntry`),
// against ~400 for a JS object with the id string in a Map.
//
// Entries leave from the head only (`dropHead`): the join evicts the oldest once it can no
// longer matter, or when the memory budget is reached.

const EMPTY = 0;
const NO_ENTRY = -1;

export interface PredictionFields {
  offset: number;
  eventTime: number;
  /** The model version, interned by the caller. */
  version: number;
  /** The predicted class, interned by the caller; -1 for a regressor. */
  predictedClass: number;
  /** The predicted value of a regressor (unused for a classifier). */
  predictedValue: number;
  /** The class probabilities, or null without them. */
  probabilities: Readonly<Record<string, number>> | null;
}

/** One typed column per field of a pending prediction, indexed by slot. */
interface Columns {
  hashHi: Int32Array;
  hashLo: Int32Array;
  time: Float64Array;
  offsets: Float64Array;
  versions: Uint16Array;
  predicted: Int32Array;
  values: Float64Array;
  joinedFlags: Uint8Array;
  /** Slot of the next newer entry with the same id hash, or NO_ENTRY. */
  nextSame: Int32Array;
  probabilities: (Readonly<Record<string, number>> | null)[];
}

function allocate(capacity: number): Columns {
  return {
    hashHi: new Int32Array(capacity),
    hashLo: new Int32Array(capacity),
    time: new Float64Array(capacity),
    offsets: new Float64Array(capacity),
    versions: new Uint16Array(capacity),
    predicted: new Int32Array(capacity),
    values: new Float64Array(capacity),
    joinedFlags: new Uint8Array(capacity),
    nextSame: new Int32Array(capacity),
    probabilities: new Array<Readonly<Record<string, number>> | null>(capacity).fill(null),
  };
}

const COLUMN_NAMES = Object.keys(allocate(0)) as (keyof Columns)[];

export class PendingPredictions {
  private capacity: number;
  private head = 0;
  private count = 0;
  private c: Columns;
  /** Open addressing, linear probing: slot + 1 of the oldest entry of an id hash, 0 empty. */
  private index: Int32Array;

  constructor(initialCapacity = 64) {
    this.capacity = nextPowerOfTwo(Math.max(8, initialCapacity));
    this.c = allocate(this.capacity);
    this.index = new Int32Array(this.capacity * 2);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the columns and the index take per slot: the budget's unit. */
  static readonly bytesPerEntry = 4 + 4 + 8 + 8 + 2 + 4 + 8 + 1 + 4 + 8 + 2 * 4;

  /** Bytes the entries held now take (what the memory budget counts): columns, index, probability maps. */
  get bytes(): number {
    return this.count * PendingPredictions.bytesPerEntry + this.probabilityBytes;
  }

  /** Bytes allocated: the columns grow by doubling, so up to twice `bytes` (and they never shrink). */
  get allocatedBytes(): number {
    return this.capacity * PendingPredictions.bytesPerEntry + this.probabilityBytes;
  }

  private probabilityBytes = 0;

  /** Slot of the oldest entry with this id hash, or NO_ENTRY. */
  oldest(hi: number, lo: number): number {
    const mask = this.index.length - 1;
    for (let i = mix(hi, lo) & mask; ; i = (i + 1) & mask) {
      const stored = this.index[i]!;
      if (stored === EMPTY) return NO_ENTRY;
      const slot = stored - 1;
      if (this.c.hashHi[slot] === hi && this.c.hashLo[slot] === lo) return slot;
    }
  }

  /** The next newer entry with the same id hash, or NO_ENTRY. */
  next(slot: number): number {
    return this.c.nextSame[slot]!;
  }

  eventTime(slot: number): number {
    return this.c.time[slot]!;
  }

  offset(slot: number): number {
    return this.c.offsets[slot]!;
  }

  version(slot: number): number {
    return this.c.versions[slot]!;
  }

  predictedClass(slot: number): number {
    return this.c.predicted[slot]!;
  }

  predictedValue(slot: number): number {
    return this.c.values[slot]!;
  }

  probabilityMap(slot: number): Readonly<Record<string, number>> | null {
    return this.c.probabilities[slot]!;
  }

  joined(slot: number): boolean {
    return this.c.joinedFlags[slot] === 1;
  }

  markJoined(slot: number): void {
    this.c.joinedFlags[slot] = 1;
  }

  /** Appends an entry (the newest); returns its slot. */
  add(hi: number, lo: number, fields: PredictionFields): number {
    if (this.count === this.capacity) this.grow();
    const slot = (this.head + this.count) & (this.capacity - 1);
    this.count += 1;
    this.c.hashHi[slot] = hi;
    this.c.hashLo[slot] = lo;
    this.c.time[slot] = fields.eventTime;
    this.c.offsets[slot] = fields.offset;
    this.c.versions[slot] = fields.version;
    this.c.predicted[slot] = fields.predictedClass;
    this.c.values[slot] = fields.predictedValue;
    this.c.joinedFlags[slot] = 0;
    this.c.nextSame[slot] = NO_ENTRY;
    this.c.probabilities[slot] = fields.probabilities;
    if (fields.probabilities !== null) this.probabilityBytes += probabilityMapBytes(fields.probabilities);
    this.link(slot);
    return slot;
  }

  /** The oldest entry's slot, or NO_ENTRY when empty. */
  get headSlot(): number {
    return this.count === 0 ? NO_ENTRY : this.head;
  }

  /** Removes the oldest entry. */
  dropHead(): void {
    if (this.count === 0) throw new Error('PendingPredictions.dropHead on an empty table');
    const slot = this.head;
    const newer = this.c.nextSame[slot]!;
    // The oldest entry is the one the index names: name its successor, or free the index slot.
    const at = this.indexPosition(this.c.hashHi[slot]!, this.c.hashLo[slot]!);
    if (newer !== NO_ENTRY) this.index[at] = newer + 1;
    else this.unindex(at);
    const map = this.c.probabilities[slot];
    if (map !== null && map !== undefined) this.probabilityBytes -= probabilityMapBytes(map);
    this.c.probabilities[slot] = null;
    this.head = (this.head + 1) & (this.capacity - 1);
    this.count -= 1;
  }

  /** Every entry's slot, oldest first. */
  *slots(): IterableIterator<number> {
    for (let k = 0; k < this.count; k++) yield (this.head + k) & (this.capacity - 1);
  }

  private link(slot: number): void {
    const hi = this.c.hashHi[slot]!;
    const lo = this.c.hashLo[slot]!;
    const first = this.oldest(hi, lo);
    if (first === NO_ENTRY) {
      const mask = this.index.length - 1;
      let i = mix(hi, lo) & mask;
      while (this.index[i] !== EMPTY) i = (i + 1) & mask;
      this.index[i] = slot + 1;
      return;
    }
    let last = first;
    while (this.c.nextSame[last] !== NO_ENTRY) last = this.c.nextSame[last]!;
    this.c.nextSame[last] = slot;
  }

  private indexPosition(hi: number, lo: number): number {
    const mask = this.index.length - 1;
    for (let i = mix(hi, lo) & mask; ; i = (i + 1) & mask) {
      const stored = this.index[i]!;
      if (stored === EMPTY) throw new Error('PendingPredictions: an entry is missing from its index');
      const slot = stored - 1;
      if (this.c.hashHi[slot] === hi && this.c.hashLo[slot] === lo) return i;
    }
  }

  /** Backward-shift deletion: keeps every probe sequence unbroken without tombstones. */
  private unindex(position: number): void {
    const mask = this.index.length - 1;
    let hole = position;
    for (let i = (hole + 1) & mask; this.index[i] !== EMPTY; i = (i + 1) & mask) {
      const slot = this.index[i]! - 1;
      const home = mix(this.c.hashHi[slot]!, this.c.hashLo[slot]!) & mask;
      // Move the entry into the hole unless its home lies cyclically in (hole, i].
      const between = hole <= i ? home > hole && home <= i : home > hole || home <= i;
      if (!between) {
        this.index[hole] = this.index[i]!;
        hole = i;
      }
    }
    this.index[hole] = EMPTY;
  }

  private grow(): void {
    const old = this.c;
    const oldHead = this.head;
    const count = this.count;
    this.capacity *= 2;
    this.c = allocate(this.capacity);
    this.index = new Int32Array(this.capacity * 2);
    this.head = 0;
    this.count = count;
    // The ring (full when it grows) unrolled into slots 0..count-1 with one block copy per column;
    // re-linking in that order rebuilds the chains and the index for the new slots.
    for (const name of COLUMN_NAMES) copyRing(old[name], this.c[name], oldHead, count);
    this.c.nextSame.fill(NO_ENTRY, 0, count);
    for (let slot = 0; slot < count; slot++) this.link(slot);
  }
}

type Column = Columns[keyof Columns];

/** Copies a full ring of `count` entries starting at `head` into the first `count` slots of `to`. */
function copyRing(from: Column, to: Column, head: number, count: number): void {
  const tail = count - head;
  if (Array.isArray(from)) {
    const target = to as typeof from;
    for (let k = 0; k < count; k++) target[k] = from[(head + k) % count]!;
    return;
  }
  const typed = to as typeof from & { set(source: ArrayLike<number>, offset: number): void };
  typed.set(from.subarray(head, count) as ArrayLike<number>, 0);
  typed.set(from.subarray(0, head) as ArrayLike<number>, tail);
}

export const NO_PREDICTION = NO_ENTRY;

function mix(hi: number, lo: number): number {
  return (Math.imul(hi ^ (lo >>> 7), 0x9e3779b1) ^ lo) >>> 0;
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A rough size of a small plain object of string keys and numbers (V8: ~16 B header + ~24 B per property). */
function probabilityMapBytes(map: Readonly<Record<string, number>>): number {
  let properties = 0;
  for (const _key in map) properties += 1;
  return 16 + 24 * properties;
}
