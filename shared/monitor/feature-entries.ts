// One event's entries of a reference's features, read from the prediction's bytes
// (feature-reader.ts): per feature, its number, string and boolean if the event has them,
// the last entry winning when a key repeats, as in a map avsc decodes. The missingFeatures
// list is not read: a feature's value comes from the three maps alone (numericValue /
// categoricalValue), so a listed feature is missing exactly when no map holds it.
//
// Keys are matched without decoding them in the common case: events of a model carry
// their features in the same order, so the key at each entry position is remembered with
// the feature it named, and a key whose bytes equal the remembered ones names the same
// feature. Any other key is decoded and looked up, and becomes the one remembered.
// A feature's strings are interned the same way, by a hash of their bytes: a category
// repeats across events, and the same string object is then hashed once for the
// vocabulary look-ups rather than decoded and hashed per event.
import { FeatureCollection, type FeatureReader, type FeatureSink } from '../codec/feature-reader.js';

/** Entry positions remembered per collection; a map with more entries looks the rest up. */
const REMEMBERED_POSITIONS = 256;
/**
 * Strings interned per feature (the default vocabulary holds 50); a feature with more
 * distinct values decodes the rest each time. Kept small: there is one set per feature of
 * every reference in memory (up to maxModels models).
 */
const INTERNED_VALUES = 128;

const EMPTY = Buffer.alloc(0);

interface InternedValue {
  bytes: Uint8Array;
  value: string;
}

interface RememberedKey {
  bytes: Uint8Array;
  /** The feature's index, or -1 for a key not in the reference. */
  feature: number;
}

export class FeatureEntries implements FeatureSink {
  private readonly index = new Map<string, number>();
  private readonly remembered: RememberedKey[][] = [[], [], []];
  /** The event being read: an entry belongs to it when its stamp is the event's. */
  private stamp = 0;
  private readonly numericStamps: Uint32Array;
  private readonly numericValues: Float64Array;
  private readonly categoricalStamps: Uint32Array;
  private readonly categoricalStarts: Uint32Array;
  private readonly categoricalEnds: Uint32Array;
  private readonly booleanStamps: Uint32Array;
  private readonly booleanValues: Uint8Array;
  /** Per feature: hash of a string's UTF-8 bytes → the string decoded from them. */
  private readonly interned: Map<number, InternedValue>[];
  private bytes: Buffer = EMPTY;

  /** @param features the reference's features; an entry's feature is its index here */
  constructor(features: readonly string[]) {
    features.forEach((feature, i) => this.index.set(feature, i));
    const n = features.length;
    this.numericStamps = new Uint32Array(n);
    this.numericValues = new Float64Array(n);
    this.categoricalStamps = new Uint32Array(n);
    this.categoricalStarts = new Uint32Array(n);
    this.categoricalEnds = new Uint32Array(n);
    this.booleanStamps = new Uint32Array(n);
    this.booleanValues = new Uint8Array(n);
    this.interned = Array.from({ length: n }, () => new Map());
  }

  /** Reads one event's entries; they are what numberOf / stringOf / booleanOf return until the next read. */
  read(bytes: Buffer, reader: FeatureReader): void {
    if (this.stamp === 0xffffffff) {
      this.numericStamps.fill(0);
      this.categoricalStamps.fill(0);
      this.booleanStamps.fill(0);
      this.stamp = 0;
    }
    this.stamp++;
    this.bytes = bytes;
    reader(bytes, this);
  }

  /**
   * Lets go of the last event's bytes: a message's value may be a view of a whole fetch
   * response, which a plan kept per reference would otherwise hold on to.
   */
  release(): void {
    this.bytes = EMPTY;
  }

  /** The feature's number in the event, or undefined. */
  numberOf(feature: number): number | undefined {
    return this.numericStamps[feature] === this.stamp ? this.numericValues[feature] : undefined;
  }

  /** The feature's string in the event, or undefined. */
  stringOf(feature: number): string | undefined {
    if (this.categoricalStamps[feature] !== this.stamp) return undefined;
    const buf = this.bytes;
    const start = this.categoricalStarts[feature]!;
    const end = this.categoricalEnds[feature]!;
    // FNV-1a.
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    const interned = this.interned[feature]!;
    const known = interned.get(hash);
    if (known !== undefined && sameBytes(known.bytes, buf, start, end)) return known.value;
    const value = buf.toString('utf8', start, end);
    if (known === undefined && interned.size < INTERNED_VALUES) interned.set(hash, { bytes: new Uint8Array(buf.subarray(start, end)), value });
    return value;
  }

  /** The feature's boolean in the event, or undefined. */
  booleanOf(feature: number): boolean | undefined {
    return this.booleanStamps[feature] === this.stamp ? this.booleanValues[feature] === 1 : undefined;
  }

  feature(collection: FeatureCollection, entry: number, buf: Buffer, start: number, end: number): number {
    if (collection === FeatureCollection.Missing) return -1;
    const remembered = this.remembered[collection]!;
    const known = remembered[entry];
    if (known !== undefined && sameBytes(known.bytes, buf, start, end)) return known.feature;
    const feature = this.index.get(buf.toString('utf8', start, end)) ?? -1;
    if (entry < REMEMBERED_POSITIONS) remembered[entry] = { bytes: new Uint8Array(buf.subarray(start, end)), feature };
    return feature;
  }

  numeric(feature: number, value: number): void {
    this.numericStamps[feature] = this.stamp;
    this.numericValues[feature] = value;
  }

  categorical(feature: number, _buf: Buffer, start: number, end: number): void {
    // Decoded by stringOf, the last entry's only.
    this.categoricalStamps[feature] = this.stamp;
    this.categoricalStarts[feature] = start;
    this.categoricalEnds[feature] = end;
  }

  boolean(feature: number, value: boolean): void {
    this.booleanStamps[feature] = this.stamp;
    this.booleanValues[feature] = value ? 1 : 0;
  }

  missing(): void {
    // Never called: feature() skips the missingFeatures list.
  }
}

function sameBytes(bytes: Uint8Array, buf: Buffer, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== buf[start + i]) return false;
  return true;
}
