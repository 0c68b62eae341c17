// Avro encoding of every event, with the writer schema's fingerprint in a Kafka header.
//
// A reader keeps a resolver per known writer fingerprint (the current schema and every one
// in schemas/history/), so data written by an older producer decodes into the current
// shape with defaults filled in. Everything a consumer could choke on is turned into a
// CodecError with a reason code before any value reaches service code.
//
// Decoding is one pass over the bytes (length guard + number check, length-guard.ts), avsc's
// read, then the validation rules; the finite check and the magnitude rules run on the
// decoded value only when that pass saw a suspicious number. A service that never reads a
// prediction's features (the performance service) decodes it through a reader schema
// without them (decodePredictionWithoutFeatures): a prediction that is plainly fine is read
// in one pass over its bytes (prediction-fast-path.ts); any other goes through the scan and
// avsc, which then skips the maps' bytes instead of building four objects per event, and
// the refusals are the same as those of decode().
import avro from 'avsc';
import type { Type } from 'avsc';
import { CodecError } from './errors.js';
import { compileFeatureReader, type FeatureReader } from './feature-reader.js';
import { compileFiniteChecker, type FiniteChecker } from './finite-check.js';
import { compileScanner, type ScanResult, type Scanner } from './length-guard.js';
import { compileFastPredictionReader, type FastPredictionReader } from './prediction-fast-path.js';
import { validateEvent } from './validate.js';
import { validationPolicy, type ValidationPolicy } from './validation-policy.js';
import type { EventInputMap, EventMap, Prediction } from './events.generated.js';
import {
  EVENT_SCHEMA_FILES,
  EVENT_TYPES,
  readHistoricalSchemas,
  readSchema,
  type EventType,
} from './schema-files.js';

/** Header carrying the writer schema's 16-byte MD5 fingerprint (Avro parsing canonical form). */
export const SCHEMA_HEADER = 'dw-schema';

/** Default upper bound of an encoded event; larger payloads are refused as OVERSIZE. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

export interface EncodedEvent {
  value: Buffer;
  headers: Record<string, Buffer>;
}

/** The prediction fields a reader without features leaves out. */
export const PREDICTION_FEATURE_FIELDS = ['numericFeatures', 'categoricalFeatures', 'booleanFeatures', 'missingFeatures'] as const;

/** A prediction as the performance service reads it: everything but the features. */
export type PredictionWithoutFeatures = Omit<Prediction, (typeof PREDICTION_FEATURE_FIELDS)[number]>;

interface Reader {
  type: EventType;
  writer: Type;
  /** The writer schema's MD5 fingerprint (the dw-schema header's bytes). */
  fingerprint: Buffer;
  /** Into the current schema; undefined when the writer is the current schema. */
  resolver: unknown;
  /** Predictions: into the schema without features, made on first use. */
  withoutFeatures?: unknown;
  /**
   * Predictions: the one-pass read into the schema without features, made on first use;
   * null when the writer's shape is not one it handles.
   */
  fastWithoutFeatures?: FastPredictionReader | null;
  /** Predictions: the walk over the feature collections' bytes, made on first use. */
  features?: FeatureReader;
  /**
   * Checks lengths and block counts of data written with this schema before avsc reads it,
   * and notes a non-finite or out-of-range number on the way.
   */
  scan: Scanner;
}

interface EventCodec {
  type: Type;
  fingerprint: Buffer;
  defaults: Record<string, unknown>;
  finite: FiniteChecker;
}

export interface CodecOptions {
  maxEventBytes?: number;
  /**
   * The clock and the allowed event-time skew of the validation rules (validate.ts), on
   * encode and decode alike. Default: Date.now and DEFAULT_MAX_EVENT_SKEW_MS (one day);
   * services pass DW_MAX_EVENT_SKEW_MS.
   */
  validation?: Partial<ValidationPolicy>;
  /**
   * false: decodePredictionWithoutFeatures reads every prediction through the scan and avsc,
   * without the one-pass read first (prediction-fast-path.ts). Same results and refusals;
   * for the tests and benches that compare the two. Default true.
   */
  fastPredictionView?: boolean;
}

export class Codec {
  readonly maxEventBytes: number;
  /** The validation rules' clock and skew; the pipelines bound the watermark with the same. */
  readonly validation: ValidationPolicy;
  private readonly codecs = new Map<EventType, EventCodec>();
  /** Writer fingerprint (latin1 string of the 16 bytes) → how to read it. */
  private readonly readers = new Map<string, Reader>();
  /** The reader the last message named (writerOf). */
  private lastReader: Reader | null = null;
  /** The current prediction schema without the feature fields (a reader schema only). */
  private readonly predictionWithoutFeatures: Type;
  private readonly fastPredictionView: boolean;

  constructor(options: CodecOptions = {}) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.validation = validationPolicy(options.validation);
    this.fastPredictionView = options.fastPredictionView ?? true;
    for (const event of EVENT_TYPES) {
      const type = avro.Type.forSchema(readSchema(EVENT_SCHEMA_FILES[event]) as avro.Schema);
      const fingerprint = type.fingerprint('md5');
      this.codecs.set(event, {
        type,
        fingerprint,
        defaults: defaultsOf(type),
        finite: compileFiniteChecker(type),
      });
      this.readers.set(fingerprint.toString('latin1'), { type: event, writer: type, fingerprint, resolver: undefined, scan: compileScanner(type) });
      for (const schema of readHistoricalSchemas(event)) {
        const writer = avro.Type.forSchema(schema as avro.Schema);
        const writerFingerprint = writer.fingerprint('md5');
        this.readers.set(writerFingerprint.toString('latin1'), {
          type: event,
          writer,
          fingerprint: writerFingerprint,
          resolver: type.createResolver(writer),
          scan: compileScanner(writer),
        });
      }
    }
    const prediction = readSchema(EVENT_SCHEMA_FILES.prediction) as { fields: { name: string }[] };
    const dropped = new Set<string>(PREDICTION_FEATURE_FIELDS);
    this.predictionWithoutFeatures = avro.Type.forSchema({
      ...prediction,
      fields: prediction.fields.filter((f) => !dropped.has(f.name)),
    } as avro.Schema);
  }

  /** The current (reader) schema of an event type. */
  typeOf(event: EventType): Type {
    return this.codec(event).type;
  }

  encode<K extends EventType>(event: K, input: EventInputMap[K]): EncodedEvent {
    const codec = this.codec(event);
    const value = { ...codec.defaults, ...(input as object) } as unknown as EventMap[K];
    let bytes: Buffer;
    try {
      bytes = codec.type.toBuffer(value);
    } catch {
      throw new CodecError('INVALID', `${event}: ${describeInvalid(codec.type, value)}`);
    }
    this.check(event, codec, value);
    if (bytes.length > this.maxEventBytes) {
      throw new CodecError('OVERSIZE', `${event} is ${bytes.length} bytes, limit ${this.maxEventBytes}`);
    }
    return { value: bytes, headers: { [SCHEMA_HEADER]: codec.fingerprint } };
  }

  /**
   * Decodes bytes that should hold an event of type `expected`.
   * @param headers the Kafka message's headers (the writer fingerprint is read from them)
   */
  decode<K extends EventType>(
    expected: K,
    bytes: Buffer | null,
    headers: Record<string, Buffer | string | undefined>,
  ): EventMap[K] {
    const reader = this.reader(expected, bytes, headers);
    const data = bytes!;
    const codec = this.codec(expected);
    const scan = this.scan(expected, reader, data);
    const value = read<EventMap[K]>(expected, codec.type, reader.resolver, data);
    if (scan.suspicious) this.check(expected, codec, value);
    else this.checkInRange(expected, value);
    return value;
  }

  /**
   * decode('prediction', …) without the feature maps: avsc reads the prediction through a
   * reader schema that leaves them out. Refuses exactly what decode refuses, with the same
   * reason and message (the features' numbers are checked in the scan of the bytes; when
   * one is suspicious, the full prediction is decoded to judge it as decode does). Most
   * predictions are accepted by the one-pass read first (prediction-fast-path.ts).
   */
  decodePredictionWithoutFeatures(
    bytes: Buffer | null,
    headers: Record<string, Buffer | string | undefined>,
  ): PredictionWithoutFeatures {
    const reader = this.reader('prediction', bytes, headers);
    const data = bytes!;
    if (reader.fastWithoutFeatures === undefined) {
      // Made first: a writer the slow path could not resolve fails as it did, fast path or not.
      reader.withoutFeatures ??= this.predictionWithoutFeatures.createResolver(reader.writer);
      reader.fastWithoutFeatures = this.fastPredictionView ? compileFastPredictionReader(reader.writer, this.predictionWithoutFeatures, this.validation) : null;
    }
    const fast = reader.fastWithoutFeatures?.(data);
    if (fast !== undefined) return fast;
    // Anything unusual: the scan, avsc and the rules judge it (and say why it is refused).
    const scan = this.scan('prediction', reader, data);
    reader.withoutFeatures ??= this.predictionWithoutFeatures.createResolver(reader.writer);
    const value = read<PredictionWithoutFeatures>('prediction', this.predictionWithoutFeatures, reader.withoutFeatures, data);
    if (scan.suspicious) {
      const codec = this.codec('prediction');
      this.check('prediction', codec, read<Prediction>('prediction', codec.type, reader.resolver, data));
    } else {
      // With inRange the rules do not read the features.
      this.checkInRange('prediction', value as Prediction);
    }
    return value;
  }

  /**
   * The reader of the feature collections for a prediction with these headers
   * (feature-reader.ts), compiled once per writer schema. Only for a prediction that
   * decode or decodePredictionWithoutFeatures accepted: the reader trusts its lengths.
   */
  predictionFeatureReader(headers: Record<string, Buffer | string | undefined>): FeatureReader {
    const reader = this.writerOf('prediction', headers);
    return (reader.features ??= compileFeatureReader(reader.writer));
  }

  /** The checks before any byte is read: size, header, known writer of the expected type. */
  private reader(expected: EventType, bytes: Buffer | null, headers: Record<string, Buffer | string | undefined>): Reader {
    if (bytes === null || bytes.length === 0) throw new CodecError('MALFORMED', 'empty payload');
    if (bytes.length > this.maxEventBytes) {
      throw new CodecError('OVERSIZE', `payload is ${bytes.length} bytes, limit ${this.maxEventBytes}`);
    }
    return this.writerOf(expected, headers);
  }

  /** The known writer of the expected type that the headers name. */
  private writerOf(expected: EventType, headers: Record<string, Buffer | string | undefined>): Reader {
    const header = headers[SCHEMA_HEADER];
    if (header === undefined) {
      throw new CodecError('MISSING_SCHEMA_HEADER', `no ${SCHEMA_HEADER} header`);
    }
    const fingerprint = typeof header === 'string' ? Buffer.from(header, 'latin1') : header;
    // A stream's events mostly come from one writer: comparing 16 bytes beats a string key per event.
    const reader = this.lastReader !== null && sameBytes(this.lastReader.fingerprint, fingerprint) ? this.lastReader : this.readers.get(fingerprint.toString('latin1'));
    if (reader === undefined) {
      throw new CodecError('UNKNOWN_SCHEMA', `writer schema ${fingerprint.toString('hex')} is not known`);
    }
    this.lastReader = reader;
    if (reader.type !== expected) {
      throw new CodecError('WRONG_SCHEMA', `expected a ${expected} event, got a ${reader.type} event`);
    }
    return reader;
  }

  private scan(expected: EventType, reader: Reader, bytes: Buffer): ScanResult {
    let scan: ScanResult;
    try {
      scan = reader.scan(bytes, 0);
    } catch (error) {
      throw new CodecError('MALFORMED', `${expected}: ${(error as Error).message}`);
    }
    if (scan.pos !== bytes.length) throw new CodecError('MALFORMED', `${expected}: ${bytes.length - scan.pos} trailing bytes`);
    return scan;
  }

  /** Every check of a value: finite numbers, then the validation rules. */
  private check<K extends EventType>(event: K, codec: EventCodec, value: EventMap[K]): void {
    const nonFinite = codec.finite(value);
    if (nonFinite !== null) throw new CodecError('NON_FINITE', `${event}.${nonFinite} is not a finite number`);
    const invalid = validateEvent(event, value, this.validation);
    if (invalid !== null) throw new CodecError('INVALID', `${event}: ${invalid}`);
  }

  /** The checks of a value whose numbers the scan found finite and within range: the other rules. */
  private checkInRange<K extends EventType>(event: K, value: EventMap[K]): void {
    const invalid = validateEvent(event, value, this.validation, true);
    if (invalid !== null) throw new CodecError('INVALID', `${event}: ${invalid}`);
  }

  private codec(event: EventType): EventCodec {
    const codec = this.codecs.get(event);
    if (!codec) throw new Error(`unknown event type ${String(event)}`);
    return codec;
  }
}

/** Buffer.equals for 16 bytes: a native call cost twice this loop, once per event. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function read<T>(expected: EventType, type: Type, resolver: unknown, bytes: Buffer): T {
  try {
    // fromBuffer also refuses trailing bytes, which catches most corrupt payloads.
    return type.fromBuffer(bytes, resolver as never) as T;
  } catch (error) {
    throw new CodecError('MALFORMED', `${expected}: ${(error as Error).message}`);
  }
}

/** Top-level field defaults, so callers may leave defaulted fields out. */
function defaultsOf(type: Type): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  const fields = (type as unknown as { fields: { name: string; defaultValue(): unknown }[] }).fields;
  for (const field of fields) {
    const value = field.defaultValue();
    if (value !== undefined) defaults[field.name] = value;
  }
  return defaults;
}

/** The paths avsc reports as not matching the schema, e.g. "eventTime: expected long, got "x"". */
function describeInvalid(type: Type, value: unknown): string {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook(path: string[], got: unknown, expected: Type) {
      problems.push(`${path.join('.') || '(root)'}: expected ${schemaName(expected)}, got ${JSON.stringify(got) ?? String(got)}`);
    },
  });
  return problems.length ? problems.slice(0, 5).join('; ') : 'value does not match the schema';
}

function schemaName(type: Type): string {
  return type.name ?? (type as unknown as { typeName: string }).typeName;
}
