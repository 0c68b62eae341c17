// A pass over Avro binary data that checks every length and block count against the bytes
// that remain, before avsc decodes it. avsc trusts them: random bytes that happen to read
// as an array of 2^40 items make it loop for minutes, and a service reading such a message
// would stall its partition. Every item of our schemas takes at least one byte, so a count
// larger than what is left is corrupt, and so is a length past the end.
//
// The same pass reads every double and float it steps over and notes whether any is
// non-finite or beyond MAX_ABS_NUMBER (a "suspicious" number). When none is, the decoded
// value needs no finite check (finite-check.ts) and passes the magnitude rules (validate.ts)
// without a walk over its maps: every number of the value read comes from these bytes
// (or is a schema default, or an int/long promoted, all finite and below the bound). When
// one is, the codec runs those checks on the decoded value as before, so what is refused and
// the message saying why stay exactly those of the separate checks.
import type { Type } from 'avsc';
import { MAX_ABS_NUMBER } from './validation-policy.js';

/** Returns the position after the value, or throws a RangeError naming the problem. */
export type LengthGuard = (buf: Buffer, pos: number) => number;

export interface ScanResult {
  /** The position after the value. */
  pos: number;
  /** A double or float that is NaN, ±Infinity or of magnitude beyond MAX_ABS_NUMBER was read. */
  suspicious: boolean;
}

/** The length guard and the number check in one pass; throws a RangeError as the guard does. */
export type Scanner = (buf: Buffer, pos: number) => ScanResult;

interface AvscTypeLike {
  typeName: string;
  fields?: { type: AvscTypeLike }[];
  valuesType?: AvscTypeLike;
  itemsType?: AvscTypeLike;
  types?: AvscTypeLike[];
  size?: number;
  underlyingType?: AvscTypeLike;
}

interface Cursor {
  pos: number;
  suspicious: boolean;
}

function readLong(buf: Buffer, c: Cursor): number {
  let n = 0;
  let shift = 1;
  let b: number;
  let bytes = 0;
  do {
    if (c.pos >= buf.length) throw new RangeError('truncated varint');
    b = buf[c.pos++]!;
    n += (b & 0x7f) * shift;
    shift *= 128;
    if (++bytes > 10) throw new RangeError('varint longer than 10 bytes');
  } while (b & 0x80);
  // Zig-zag decoding in floating point: exact below 2^53, and larger counts are corrupt anyway.
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function skip(buf: Buffer, c: Cursor, bytes: number, what: string): void {
  if (bytes < 0 || c.pos + bytes > buf.length) throw new RangeError(`${what} of ${bytes} bytes runs past the end`);
  c.pos += bytes;
}

type Walk = (buf: Buffer, c: Cursor) => void;

export function compileLengthGuard(type: Type): LengthGuard {
  const scan = compileScanner(type);
  return (buf, pos) => scan(buf, pos).pos;
}

export function compileScanner(type: Type): Scanner {
  const walk = compile(type as unknown as AvscTypeLike, new Map());
  return (buf, pos) => {
    const c: Cursor = { pos, suspicious: false };
    walk(buf, c);
    return c;
  };
}

function readDouble(buf: Buffer, c: Cursor): void {
  if (c.pos + 8 > buf.length) throw new RangeError('double of 8 bytes runs past the end');
  const x = buf.readDoubleLE(c.pos);
  c.pos += 8;
  // NaN fails the comparison too.
  if (!(x <= MAX_ABS_NUMBER && x >= -MAX_ABS_NUMBER)) c.suspicious = true;
}

function readFloat(buf: Buffer, c: Cursor): void {
  if (c.pos + 4 > buf.length) throw new RangeError('float of 4 bytes runs past the end');
  const x = buf.readFloatLE(c.pos);
  c.pos += 4;
  if (!(x <= MAX_ABS_NUMBER && x >= -MAX_ABS_NUMBER)) c.suspicious = true;
}

function compile(type: AvscTypeLike, seen: Map<AvscTypeLike, Walk>): Walk {
  const known = seen.get(type);
  if (known) return known;
  switch (type.typeName) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (buf, c) => skip(buf, c, 1, 'boolean');
    case 'int':
    case 'long':
    case 'enum':
      return (buf, c) => void readLong(buf, c);
    case 'float':
      return readFloat;
    case 'double':
      return readDouble;
    case 'string':
    case 'bytes':
      return (buf, c) => skip(buf, c, readLong(buf, c), type.typeName);
    case 'fixed':
      return (buf, c) => skip(buf, c, type.size ?? 0, 'fixed');
    case 'record':
    case 'error': {
      let fields: Walk[] = [];
      const walk: Walk = (buf, c) => {
        for (const field of fields) field(buf, c);
      };
      seen.set(type, walk);
      fields = (type.fields ?? []).map((f) => compile(f.type, seen));
      return walk;
    }
    case 'array':
    case 'map': {
      const item = compile((type.typeName === 'array' ? type.itemsType : type.valuesType)!, seen);
      const key = type.typeName === 'map' ? compile({ typeName: 'string' }, seen) : null;
      return (buf, c) => {
        for (;;) {
          let count = readLong(buf, c);
          if (count === 0) return;
          if (count < 0) {
            count = -count;
            readLong(buf, c); // block size in bytes, only a hint
          }
          if (count > buf.length - c.pos) throw new RangeError(`${type.typeName} block of ${count} items in ${buf.length - c.pos} bytes`);
          for (let i = 0; i < count; i++) {
            if (key) key(buf, c);
            item(buf, c);
          }
        }
      };
    }
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = (type.types ?? []).map((t) => compile(t, seen));
      return (buf, c) => {
        const index = readLong(buf, c);
        const branch = branches[index];
        if (branch === undefined) throw new RangeError(`union branch ${index} of ${branches.length}`);
        branch(buf, c);
      };
    }
    default:
      if (type.underlyingType) return compile(type.underlyingType, seen);
      throw new TypeError(`no length guard for Avro type ${type.typeName}`);
  }
}
