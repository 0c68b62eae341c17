// Reads a prediction's four feature collections straight from its Avro bytes, for a
// consumer that bins feature values (the drift service) and would otherwise have avsc build
// four objects per event only to read a few entries of each.
//
// Compiled once per writer schema: the fields before the features are skipped, each entry
// of the feature collections is handed to a sink, and the walk stops after the last of them.
// The bytes must be ones the codec has already decoded without error (Codec.decode or
// decodePredictionWithoutFeatures): their lengths and counts were checked by the scan
// (length-guard.ts), so nothing here checks them again. A writer without one of the fields
// gives an empty collection, as avsc's default ({} or []) does.
//
// Entries are read as avsc reads them: keys and strings as UTF-8 (avsc's utf8Slice), a
// boolean as "byte not zero", and entries in order, so of a key written twice the last one
// is the one a decoded map would hold.
import type { Type } from 'avsc';
import type { PREDICTION_FEATURE_FIELDS } from './codec.js';
import type { AvscTypeLike } from './avsc-type.js';

/** The feature collections of a prediction, as numbers a sink can index arrays with. */
export const FeatureCollection = { Numeric: 0, Categorical: 1, Boolean: 2, Missing: 3 } as const;
export type FeatureCollection = (typeof FeatureCollection)[keyof typeof FeatureCollection];

/** Where a prediction's feature entries go. `feature` ids are the sink's own numbering. */
export interface FeatureSink {
  /**
   * The sink's id of the feature named by the UTF-8 bytes buf[start, end) (a key of the
   * collection, or an item of missingFeatures), or -1 to skip its value. `entry` is the
   * entry's position in its collection, for a sink that guesses a key from the last event's.
   */
  feature(collection: FeatureCollection, entry: number, buf: Buffer, start: number, end: number): number;
  numeric(feature: number, value: number): void;
  /** The value is the UTF-8 bytes buf[start, end). */
  categorical(feature: number, buf: Buffer, start: number, end: number): void;
  boolean(feature: number, value: boolean): void;
  missing(feature: number): void;
}

/** Walks one prediction's bytes (written with the reader's writer schema) into a sink. */
export type FeatureReader = (buf: Buffer, sink: FeatureSink) => void;

/** Position in the bytes; one per walk, so a reader can be used from any call. */
interface Cursor {
  pos: number;
}

type Skip = (buf: Buffer, c: Cursor) => void;
type Walk = (buf: Buffer, c: Cursor, sink: FeatureSink) => void;

function readLong(buf: Buffer, c: Cursor): number {
  let b = buf[c.pos++]!;
  if (b < 0x80) return b & 1 ? -((b + 1) / 2) : b / 2;
  let n = b & 0x7f;
  let shift = 128;
  do {
    b = buf[c.pos++]!;
    n += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/** Items in the next block of an array or map, its byte-size hint read past; 0 at the end. */
function blockCount(buf: Buffer, c: Cursor): number {
  const count = readLong(buf, c);
  if (count >= 0) return count;
  readLong(buf, c);
  return -count;
}

/**
 * The walk of one feature collection: each entry's key (or missingFeatures item) goes to the
 * sink for its feature id, then `value` reads (and hands over, for an id ≥ 0) what follows it.
 */
function collectionWalk(collection: FeatureCollection, value: (buf: Buffer, c: Cursor, sink: FeatureSink, feature: number) => void): Walk {
  return (buf, c, sink) => {
    for (let entry = 0, n = blockCount(buf, c); n > 0; n = blockCount(buf, c)) {
      for (; n > 0; n--, entry++) {
        const length = readLong(buf, c);
        const start = c.pos;
        c.pos += length;
        value(buf, c, sink, sink.feature(collection, entry, buf, start, c.pos));
      }
    }
  };
}

const FEATURE_WALKS: Record<(typeof PREDICTION_FEATURE_FIELDS)[number], { typeName: string; items: string; walk: Walk }> = {
  numericFeatures: {
    typeName: 'map',
    items: 'double',
    walk: collectionWalk(FeatureCollection.Numeric, (buf, c, sink, feature) => {
      if (feature >= 0) sink.numeric(feature, buf.readDoubleLE(c.pos));
      c.pos += 8;
    }),
  },
  categoricalFeatures: {
    typeName: 'map',
    items: 'string',
    walk: collectionWalk(FeatureCollection.Categorical, (buf, c, sink, feature) => {
      const length = readLong(buf, c);
      if (feature >= 0) sink.categorical(feature, buf, c.pos, c.pos + length);
      c.pos += length;
    }),
  },
  booleanFeatures: {
    typeName: 'map',
    items: 'boolean',
    walk: collectionWalk(FeatureCollection.Boolean, (buf, c, sink, feature) => {
      if (feature >= 0) sink.boolean(feature, buf[c.pos] !== 0);
      c.pos += 1;
    }),
  },
  missingFeatures: {
    typeName: 'array',
    items: 'string',
    walk: collectionWalk(FeatureCollection.Missing, (_buf, _c, sink, feature) => {
      if (feature >= 0) sink.missing(feature);
    }),
  },
};

/** A reader for predictions written with `writer` (the current prediction schema or a historical one). */
export function compileFeatureReader(writer: Type): FeatureReader {
  const record = writer as unknown as AvscTypeLike;
  if (record.typeName !== 'record') throw new TypeError(`a prediction writer schema is a record, not ${record.typeName}`);
  const steps: Walk[] = [];
  let pendingSkips: Skip[] = [];
  for (const field of record.fields ?? []) {
    const feature = FEATURE_WALKS[field.name as keyof typeof FEATURE_WALKS];
    if (feature === undefined) {
      pendingSkips.push(compileSkip(field.type));
      continue;
    }
    const { typeName, valuesType, itemsType } = field.type;
    const items = typeName === 'map' ? valuesType : typeName === 'array' ? itemsType : undefined;
    if (typeName !== feature.typeName || items?.typeName !== feature.items) {
      throw new TypeError(`prediction field ${field.name} is a ${typeName}, the feature reader reads a ${feature.typeName} of ${feature.items}`);
    }
    steps.push(...pendingSkips);
    pendingSkips = [];
    steps.push(feature.walk);
  }
  // The fields after the last feature collection are not read at all.
  return (buf, sink) => {
    const c: Cursor = { pos: 0 };
    for (const step of steps) step(buf, c, sink);
  };
}

function compileSkip(type: AvscTypeLike): Skip {
  switch (type.typeName) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (_, c) => void c.pos++;
    case 'int':
    case 'long':
    case 'enum':
      return (buf, c) => void readLong(buf, c);
    case 'float':
      return (_, c) => void (c.pos += 4);
    case 'double':
      return (_, c) => void (c.pos += 8);
    case 'string':
    case 'bytes':
      return (buf, c) => {
        const length = readLong(buf, c);
        c.pos += length;
      };
    case 'fixed':
      return (_, c) => void (c.pos += type.size ?? 0);
    case 'record':
    case 'error': {
      // Prediction fields hold no recursive records; a nested record is compiled in full.
      const fields = (type.fields ?? []).map((f) => compileSkip(f.type));
      return (buf, c) => {
        for (const field of fields) field(buf, c);
      };
    }
    case 'array':
    case 'map': {
      const item = compileSkip((type.typeName === 'array' ? type.itemsType : type.valuesType)!);
      const key = type.typeName === 'map' ? compileSkip({ typeName: 'string' }) : null;
      return (buf, c) => {
        for (;;) {
          const count = readLong(buf, c);
          if (count === 0) return;
          if (count < 0) {
            // A block with its byte size: skipped whole.
            const bytes = readLong(buf, c);
            c.pos += bytes;
            continue;
          }
          for (let i = 0; i < count; i++) {
            if (key) key(buf, c);
            item(buf, c);
          }
        }
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (type.types ?? []).map((t) => compileSkip(t));
      return (buf, c) => branches[readLong(buf, c)]!(buf, c);
    }
    default:
      if (type.underlyingType) return compileSkip(type.underlyingType);
      throw new TypeError(`the feature reader cannot skip Avro type ${type.typeName}`);
  }
}
