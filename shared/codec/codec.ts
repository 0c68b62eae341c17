// Avro encoding of every event, with the writer schema's fingerprint in a Kafka header.
//
// A reader keeps a resolver per known writer fingerprint (the current schema and every one
// in schemas/history/), so data written by an older producer decodes into the current
// shape with defaults filled in. Everything a consumer could choke on is turned into a
// CodecError with a reason code before any value reaches service code.
import avro from 'avsc';
import type { Type } from 'avsc';
import { CodecError } from './errors.js';
import { compileFiniteChecker, type FiniteChecker } from './finite-check.js';
import { compileLengthGuard, type LengthGuard } from './length-guard.js';
import { validateEvent } from './validate.js';
import { validationPolicy, type ValidationPolicy } from './validation-policy.js';
import type { EventInputMap, EventMap } from './events.generated.js';
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

interface Reader {
  type: EventType;
  resolver: unknown;
  /** Checks lengths and block counts of data written with this schema before avsc reads it. */
  guard: LengthGuard;
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
}

export class Codec {
  readonly maxEventBytes: number;
  /** The validation rules' clock and skew; the pipelines bound the watermark with the same. */
  readonly validation: ValidationPolicy;
  private readonly codecs = new Map<EventType, EventCodec>();
  /** Writer fingerprint (latin1 string of the 16 bytes) → how to read it. */
  private readonly readers = new Map<string, Reader>();

  constructor(options: CodecOptions = {}) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.validation = validationPolicy(options.validation);
    for (const event of EVENT_TYPES) {
      const type = avro.Type.forSchema(readSchema(EVENT_SCHEMA_FILES[event]) as avro.Schema);
      const fingerprint = type.fingerprint('md5');
      this.codecs.set(event, {
        type,
        fingerprint,
        defaults: defaultsOf(type),
        finite: compileFiniteChecker(type),
      });
      this.readers.set(fingerprint.toString('latin1'), { type: event, resolver: undefined, guard: compileLengthGuard(type) });
      for (const schema of readHistoricalSchemas(event)) {
        const writer = avro.Type.forSchema(schema as avro.Schema);
        this.readers.set(writer.fingerprint('md5').toString('latin1'), {
          type: event,
          resolver: type.createResolver(writer),
          guard: compileLengthGuard(writer),
        });
      }
    }
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
    if (bytes === null || bytes.length === 0) throw new CodecError('MALFORMED', 'empty payload');
    if (bytes.length > this.maxEventBytes) {
      throw new CodecError('OVERSIZE', `payload is ${bytes.length} bytes, limit ${this.maxEventBytes}`);
    }
    const header = headers[SCHEMA_HEADER];
    if (header === undefined) {
      throw new CodecError('MISSING_SCHEMA_HEADER', `no ${SCHEMA_HEADER} header`);
    }
    const fingerprint = typeof header === 'string' ? Buffer.from(header, 'latin1') : header;
    const reader = this.readers.get(fingerprint.toString('latin1'));
    if (reader === undefined) {
      throw new CodecError('UNKNOWN_SCHEMA', `writer schema ${fingerprint.toString('hex')} is not known`);
    }
    if (reader.type !== expected) {
      throw new CodecError('WRONG_SCHEMA', `expected a ${expected} event, got a ${reader.type} event`);
    }
    const codec = this.codec(expected);
    try {
      const end = reader.guard(bytes, 0);
      if (end !== bytes.length) throw new RangeError(`${bytes.length - end} trailing bytes`);
    } catch (error) {
      throw new CodecError('MALFORMED', `${expected}: ${(error as Error).message}`);
    }
    let value: EventMap[K];
    try {
      // fromBuffer also refuses trailing bytes, which catches most corrupt payloads.
      value = codec.type.fromBuffer(bytes, reader.resolver as never) as EventMap[K];
    } catch (error) {
      throw new CodecError('MALFORMED', `${expected}: ${(error as Error).message}`);
    }
    this.check(expected, codec, value);
    return value;
  }

  private check<K extends EventType>(event: K, codec: EventCodec, value: EventMap[K]): void {
    const nonFinite = codec.finite(value);
    if (nonFinite !== null) throw new CodecError('NON_FINITE', `${event}.${nonFinite} is not a finite number`);
    const invalid = validateEvent(event, value, this.validation);
    if (invalid !== null) throw new CodecError('INVALID', `${event}: ${invalid}`);
  }

  private codec(event: EventType): EventCodec {
    const codec = this.codecs.get(event);
    if (!codec) throw new Error(`unknown event type ${String(event)}`);
    return codec;
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
