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

export class PendingPredictions {
  private capacity: number;
  private head = 0;
  private count = 0;
  private hashHi: Int32Array;
  private hashLo: Int32Array;
  private time: Float64Array;
  private offsets: Float64Array;
  private versions: Uint16Array;
  private predicted: Int32Array;
  private values: Float64Array;
  private joinedFlags: Uint8Array;
  /** Slot of the next newer entry with the same id hash, or NO_ENTRY. */
  private nextSame: Int32Array;
  private probabilities: (Readonly<Record<string, number>> | null)[];
  /** Open addressing, linear probing: slot + 1 of the oldest entry of an id hash, 0 empty. */
  private index: Int32Array;

  constructor(initialCapacity = 64) {
    this.capacity = nextPowerOfTwo(Math.max(8, initialCapacity));
    this.hashHi = new Int32Array(this.capacity);
    this.hashLo = new Int32Array(this.capacity);
    this.time = new Float64Array(this.capacity);
    this.offsets = new Float64Array(this.capacity);
    this.versions = new Uint16Array(this.capacity);
    this.predicted = new Int32Array(this.capacity);
    this.values = new Float64Array(this.capacity);
    this.joinedFlags = new Uint8Array(this.capacity);
    this.nextSame = new Int32Array(this.capacity);
    this.probabilities = new Array<Readonly<Record<string, number>> | null>(this.capacity).fill(null);
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
      if (this.hashHi[slot] === hi && this.hashLo[slot] === lo) return slot;
    }
  }

  /** The next newer entry with the same id hash, or NO_ENTRY. */
  next(slot: number): number {
    return this.nextSame[slot]!;
  }

  eventTime(slot: number): number {
    return this.time[slot]!;
  }

  offset(slot: number): number {
    return this.offsets[slot]!;
  }

  version(slot: number): number {
    return this.versions[slot]!;
  }

  predictedClass(slot: number): number {
    return this.predicted[slot]!;
  }

  predictedValue(slot: number): number {
    return this.values[slot]!;
  }

  probabilityMap(slot: number): Readonly<Record<string, number>> | null {
    return this.probabilities[slot]!;
  }

  joined(slot: number): boolean {
    return this.joinedFlags[slot] === 1;
  }

  markJoined(slot: number): void {
    this.joinedFlags[slot] = 1;
  }

  /** Appends an entry (the newest); returns its slot. */
  add(hi: number, lo: number, fields: PredictionFields): number {
    if (this.count === this.capacity) this.grow();
    const slot = (this.head + this.count) & (this.capacity - 1);
    this.count += 1;
    this.hashHi[slot] = hi;
    this.hashLo[slot] = lo;
    this.time[slot] = fields.eventTime;
    this.offsets[slot] = fields.offset;
    this.versions[slot] = fields.version;
    this.predicted[slot] = fields.predictedClass;
    this.values[slot] = fields.predictedValue;
    this.joinedFlags[slot] = 0;
    this.nextSame[slot] = NO_ENTRY;
    this.probabilities[slot] = fields.probabilities;
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
    const newer = this.nextSame[slot]!;
    // The oldest entry is the one the index names: name its successor, or free the index slot.
    const at = this.indexPosition(this.hashHi[slot]!, this.hashLo[slot]!);
    if (newer !== NO_ENTRY) this.index[at] = newer + 1;
    else this.unindex(at);
    const map = this.probabilities[slot];
    if (map !== null && map !== undefined) this.probabilityBytes -= probabilityMapBytes(map);
    this.probabilities[slot] = null;
    this.head = (this.head + 1) & (this.capacity - 1);
    this.count -= 1;
  }

  /** Every entry's slot, oldest first. */
  *slots(): IterableIterator<number> {
    for (let k = 0; k < this.count; k++) yield (this.head + k) & (this.capacity - 1);
  }

  private link(slot: number): void {
    const hi = this.hashHi[slot]!;
    const lo = this.hashLo[slot]!;
    const first = this.oldest(hi, lo);
    if (first === NO_ENTRY) {
      const mask = this.index.length - 1;
      let i = mix(hi, lo) & mask;
      while (this.index[i] !== EMPTY) i = (i + 1) & mask;
      this.index[i] = slot + 1;
      return;
    }
    let last = first;
    while (this.nextSame[last] !== NO_ENTRY) last = this.nextSame[last]!;
    this.nextSame[last] = slot;
  }

  private indexPosition(hi: number, lo: number): number {
    const mask = this.index.length - 1;
    for (let i = mix(hi, lo) & mask; ; i = (i + 1) & mask) {
      const stored = this.index[i]!;
      if (stored === EMPTY) throw new Error('PendingPredictions: an entry is missing from its index');
      const slot = stored - 1;
      if (this.hashHi[slot] === hi && this.hashLo[slot] === lo) return i;
    }
  }

  /** Backward-shift deletion: keeps every probe sequence unbroken without tombstones. */
  private unindex(position: number): void {
    const mask = this.index.length - 1;
    let hole = position;
    for (let i = (hole + 1) & mask; this.index[i] !== EMPTY; i = (i + 1) & mask) {
      const slot = this.index[i]! - 1;
      const home = mix(this.hashHi[slot]!, this.hashLo[slot]!) & mask;
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
    const old = {
      capacity: this.capacity,
      head: this.head,
      hashHi: this.hashHi,
      hashLo: this.hashLo,
      time: this.time,
      offsets: this.offsets,
      versions: this.versions,
      predicted: this.predicted,
      values: this.values,
      joinedFlags: this.joinedFlags,
      probabilities: this.probabilities,
    };
    const count = this.count;
    this.capacity *= 2;
    this.hashHi = new Int32Array(this.capacity);
    this.hashLo = new Int32Array(this.capacity);
    this.time = new Float64Array(this.capacity);
    this.offsets = new Float64Array(this.capacity);
    this.versions = new Uint16Array(this.capacity);
    this.predicted = new Int32Array(this.capacity);
    this.values = new Float64Array(this.capacity);
    this.joinedFlags = new Uint8Array(this.capacity);
    this.nextSame = new Int32Array(this.capacity);
    this.probabilities = new Array<Readonly<Record<string, number>> | null>(this.capacity).fill(null);
    this.index = new Int32Array(this.capacity * 2);
    this.head = 0;
    this.count = 0;
    // Re-adding in ring order rebuilds the chains and the index for the new slots.
    for (let k = 0; k < count; k++) {
      const from = (old.head + k) & (old.capacity - 1);
      const slot = k;
      this.count += 1;
      this.hashHi[slot] = old.hashHi[from]!;
      this.hashLo[slot] = old.hashLo[from]!;
      this.time[slot] = old.time[from]!;
      this.offsets[slot] = old.offsets[from]!;
      this.versions[slot] = old.versions[from]!;
      this.predicted[slot] = old.predicted[from]!;
      this.values[slot] = old.values[from]!;
      this.joinedFlags[slot] = old.joinedFlags[from]!;
      this.nextSame[slot] = NO_ENTRY;
      this.probabilities[slot] = old.probabilities[from] ?? null;
      this.link(slot);
    }
  }
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
