// The Avro scan as a plain walk over the type, closures per type and a cursor object: the
// interpreter shared/codec/length-guard.ts had before it generated code per schema, kept as
// the oracle its tests compare the generated scanner with (same position, same suspicious
// flag, same RangeError message on every input).
import type { Type } from 'avsc';
import type { ScanResult, Scanner } from '../../shared/codec/length-guard.js';
import { MAX_ABS_NUMBER } from '../../shared/codec/validation-policy.js';
import type { AvscTypeLike } from '../../shared/codec/avsc-type.js';

type Cursor = ScanResult;

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

export function compileReferenceScanner(type: Type): Scanner {
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
