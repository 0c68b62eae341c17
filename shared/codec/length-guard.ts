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
//
// The pass runs on every message of both monitoring services, so it is generated per schema
// as JavaScript source (as avsc does for its readers): the position is a local variable,
// records are unrolled field by field, unions are a switch, a one-byte varint is read inline.
// A record that contains itself gets a function of its own that recurses. What is refused,
// and the RangeError's message, are those of a plain walk over the type
// (test/support/reference-scanner.ts, which the tests hold this one to).
import type { Type } from 'avsc';
import { MAX_ABS_NUMBER } from './validation-policy.js';
import type { AvscTypeLike } from './avsc-type.js';

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

export function compileLengthGuard(type: Type): LengthGuard {
  const scan = compileScanner(type);
  return (buf, pos) => scan(buf, pos).pos;
}

export function compileScanner(type: Type): Scanner {
  const root = type as unknown as AvscTypeLike;
  const source = new ScannerSource(recursiveRecords(root)).build(root);
  const factory = new Function('MAX', 'SAFE_EXPONENT', source) as (max: number, safeExponent: number) => Scanner;
  return factory(MAX_ABS_NUMBER, safeDoubleExponent(MAX_ABS_NUMBER));
}

/**
 * The largest biased exponent of a double whose every value is below `max` in magnitude: a
 * double with an exponent field up to it is finite and in range without being read, so the
 * scan looks at two bytes of most doubles instead of converting all eight.
 */
function safeDoubleExponent(max: number): number {
  if (!(max > 0)) return -1;
  if (max === Infinity) return 2046;
  let k = Math.floor(Math.log2(max));
  while (2 ** k > max) k--;
  while (2 ** (k + 1) <= max) k++;
  // Exponent field E holds magnitudes below 2^(E - 1022).
  return Math.max(-1, Math.min(2046, k + 1022));
}

/** Records reached again while inside themselves: each gets a generated function. */
function recursiveRecords(root: AvscTypeLike): Set<AvscTypeLike> {
  const recursive = new Set<AvscTypeLike>();
  const open = new Set<AvscTypeLike>();
  const done = new Set<AvscTypeLike>();
  const visit = (type: AvscTypeLike): void => {
    if (open.has(type)) {
      recursive.add(type);
      return;
    }
    if (done.has(type)) return;
    open.add(type);
    for (const field of type.fields ?? []) visit(field.type);
    if (type.itemsType) visit(type.itemsType);
    if (type.valuesType) visit(type.valuesType);
    for (const branch of type.types ?? []) visit(branch);
    if (type.underlyingType) visit(type.underlyingType);
    open.delete(type);
    done.add(type);
  };
  visit(root);
  return recursive;
}

// Runtime helpers of the generated code. A varint of more than one byte, exactly as the
// interpreter read it (zig-zag in floating point: exact below 2^53, and larger counts are
// corrupt anyway); it leaves the position after it in `end`, as the caller's `pos` is a local.
const HELPERS = `
var end = 0;
var susp = false;
function varint(buf, pos) {
  var n = 0, shift = 1, b, bytes = 0, len = buf.length;
  do {
    if (pos >= len) throw new RangeError('truncated varint');
    b = buf[pos++];
    n += (b & 0x7f) * shift;
    shift *= 128;
    if (++bytes > 10) throw new RangeError('varint longer than 10 bytes');
  } while (b & 0x80);
  end = pos;
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
function skipVarint(buf, pos) {
  var b, bytes = 0, len = buf.length;
  do {
    if (pos >= len) throw new RangeError('truncated varint');
    b = buf[pos++];
    if (++bytes > 10) throw new RangeError('varint longer than 10 bytes');
  } while (b & 0x80);
  return pos;
}
function bigDouble(buf, pos) {
  var x = buf.readDoubleLE(pos);
  return !(x <= MAX && x >= -MAX);
}
`;

/** The source of one scanner: the helpers, a function per recursive record, the entry point. */
class ScannerSource {
  private readonly functions = new Map<AvscTypeLike, string>();
  private readonly bodies: string[] = [];
  /** Locals of the function being generated (block counts and loop indices). */
  private locals: string[] = [];
  private nextName = 0;

  constructor(private readonly recursive: Set<AvscTypeLike>) {}

  build(root: AvscTypeLike): string {
    const body = this.function(() => this.value(root, 's = true;'));
    const entry = `return function scan(buf, pos) {\n${body.declarations}\n  var s = false;\n  susp = false;\n${body.code}\n  return { pos: pos, suspicious: s || susp };\n};`;
    return `'use strict';\n${HELPERS}\n${this.bodies.join('\n')}\n${entry}`;
  }

  /** Generates a function body with its own locals. */
  private function(generate: () => string): { declarations: string; code: string } {
    const outer = this.locals;
    this.locals = ['len = buf.length', 'b', 'n', 'x'];
    const code = generate();
    const declarations = `  var ${this.locals.join(', ')};`;
    this.locals = outer;
    return { declarations, code };
  }

  private local(prefix: string): string {
    const name = `${prefix}${this.nextName++}`;
    this.locals.push(name);
    return name;
  }

  /** Code stepping `pos` over one value of `type`; `flag` is the statement noting a suspicious number. */
  private value(type: AvscTypeLike, flag: string): string {
    switch (type.typeName) {
      case 'null':
        return '';
      case 'boolean':
        return skipBytes('1', 'boolean');
      case 'int':
      case 'long':
      case 'enum':
        return 'if (pos < len && buf[pos] < 128) pos++; else pos = skipVarint(buf, pos);';
      case 'float':
        return [
          `if (pos + 4 > len) throw new RangeError('float of 4 bytes runs past the end');`,
          `x = buf.readFloatLE(pos); pos += 4;`,
          `if (!(x <= MAX && x >= -MAX)) ${flag}`,
        ].join('\n');
      case 'double':
        // The exponent field is in the last two bytes (little-endian).
        return [
          `if (pos + 8 > len) throw new RangeError('double of 8 bytes runs past the end');`,
          `if ((((buf[pos + 7] & 0x7f) << 4) | (buf[pos + 6] >> 4)) > SAFE_EXPONENT && bigDouble(buf, pos)) ${flag}`,
          `pos += 8;`,
        ].join('\n');
      case 'string':
      case 'bytes':
        return `${readLong('n')}\n${skipBytes('n', type.typeName)}`;
      case 'fixed':
        return skipBytes(String(type.size ?? 0), 'fixed');
      case 'record':
      case 'error':
        if (this.recursive.has(type)) return `pos = ${this.recordFunction(type)}(buf, pos);`;
        return (type.fields ?? []).map((field) => this.value(field.type, flag)).join('\n');
      case 'array':
      case 'map':
        return this.blocks(type, flag);
      case 'union:unwrapped':
      case 'union:wrapped': {
        const branches = type.types ?? [];
        const cases = branches.map((branch, i) => `case ${i}: {\n${this.value(branch, flag)}\nbreak;\n}`);
        const message = `'union branch ' + n + ' of ${branches.length}'`;
        return `${readLong('n')}\nswitch (n) {\n${cases.join('\n')}\ndefault: throw new RangeError(${message});\n}`;
      }
      default:
        if (type.underlyingType) return this.value(type.underlyingType, flag);
        throw new TypeError(`no length guard for Avro type ${type.typeName}`);
    }
  }

  private blocks(type: AvscTypeLike, flag: string): string {
    const count = this.local('c');
    const index = this.local('i');
    const key = type.typeName === 'map' ? this.value({ typeName: 'string' }, flag) : '';
    const item = this.value((type.typeName === 'array' ? type.itemsType : type.valuesType)!, flag);
    const message = `'${type.typeName} block of ' + ${count} + ' items in ' + (len - pos) + ' bytes'`;
    return [
      `for (;;) {`,
      readLong(count),
      `if (${count} === 0) break;`,
      // A negative count is followed by the block's size in bytes, only a hint.
      `if (${count} < 0) { ${count} = -${count}; if (pos < len && buf[pos] < 128) pos++; else pos = skipVarint(buf, pos); }`,
      `if (${count} > len - pos) throw new RangeError(${message});`,
      `for (${index} = 0; ${index} < ${count}; ${index}++) {\n${key}\n${item}\n}`,
      `}`,
    ].join('\n');
  }

  /** The name of the function scanning a recursive record, generated on first use. */
  private recordFunction(type: AvscTypeLike): string {
    const known = this.functions.get(type);
    if (known) return known;
    const name = `record${this.functions.size}`;
    this.functions.set(type, name);
    const body = this.function(() => (type.fields ?? []).map((field) => this.value(field.type, 'susp = true;')).join('\n'));
    this.bodies.push(`function ${name}(buf, pos) {\n${body.declarations}\n${body.code}\n  return pos;\n}`);
    return name;
  }
}

/** Reads a zig-zag long into `target`: a one-byte one inline, a longer one by the helper. */
function readLong(target: string): string {
  return `if (pos < len && (b = buf[pos]) < 128) { pos++; ${target} = (b >> 1) ^ -(b & 1); } else { ${target} = varint(buf, pos); pos = end; }`;
}

function skipBytes(bytes: string, what: string): string {
  const message = `'${what} of ' + ${bytes} + ' bytes runs past the end'`;
  return `if (${bytes} < 0 || pos + ${bytes} > len) throw new RangeError(${message});\npos += ${bytes};`;
}
