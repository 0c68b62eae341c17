// The performance service's read of a prediction (Codec.decodePredictionWithoutFeatures) in
// one pass over the bytes, for the predictions that are plainly fine: the kept fields are
// read straight into the reader's record, the feature maps are stepped over, and every
// length, number and cheap validation rule is checked on the way.
//
// It only ever accepts. Whatever is unusual (a length that does not fit, a number that is
// non-finite or beyond MAX_ABS_NUMBER, a rule that fails, a negative block count, a union
// branch other than null or the value, a varint longer than this reader bothers with) makes
// it return undefined, and the codec then runs the slow path (scan, avsc read, rules), which
// gives today's value or today's exact CodecError. So what it accepts must be exactly what
// that path accepts, with the same value: the same record class avsc's resolver builds (its
// constructor fills the defaults of fields an older writer lacks), strings decoded as avsc
// decodes them (utf8Slice), maps built by assignment in the order written (the last of a
// duplicate key wins, integer-like keys first), and every double of the bytes within range.
// Refusals need not be reproduced, only recognised.
//
// Generated per writer schema as JavaScript source, as length-guard.ts is. A writer whose
// shape it does not know (a kept field whose type differs from the reader's, a type it has no
// code for) gets no fast path (compile returns null), and every prediction of it takes the
// slow path.
import type { Type } from 'avsc';
import type { AvscTypeLike } from './avsc-type.js';
import type { PredictionWithoutFeatures } from './codec.js';
import { MODEL_NAME_PATTERN } from '../model-name.js';
import { MAX_ABS_NUMBER, type ValidationPolicy } from './validation-policy.js';

/** The prediction read from the bytes, or undefined: take the slow path. */
export type FastPredictionReader = (buf: Buffer) => PredictionWithoutFeatures | undefined;

interface RecordTypeLike extends AvscTypeLike {
  aliases?: string[];
  fields: { name: string; aliases?: string[]; type: AvscTypeLike; defaultValue(): unknown }[];
  recordConstructor: new (...values: unknown[]) => PredictionWithoutFeatures;
  schema(): unknown;
}

type Rule = 'nonBlank' | 'modelName' | 'eventTime' | 'probabilities';

/**
 * How a kept field is read. `rule`: the validation rule (validate.ts) its value must meet,
 * checked as it is read ("neither predictedClass nor predictedValue" is checked on the
 * record). `strings`: the table of recent strings its strings (a map's keys) are looked up
 * in before being decoded: models, versions and class names repeat from one prediction to
 * the next, so most are neither decoded nor checked again (a string enters its table only
 * once it met the rule).
 */
interface FieldPlan {
  rule?: Rule;
  strings?: 'models' | 'versions' | 'classes';
}

const FIELD_PLANS: Record<string, FieldPlan> = {
  id: { rule: 'nonBlank' },
  model: { rule: 'modelName', strings: 'models' },
  modelVersion: { rule: 'nonBlank', strings: 'versions' },
  eventTime: { rule: 'eventTime' },
  predictedClass: { strings: 'classes' },
  classProbabilities: { rule: 'probabilities', strings: 'classes' },
};

/** Strings each table keeps (the most recently added): a topic carries a few models at once. */
const TABLE_SIZE = 16;

/**
 * The fast reader of predictions written with `writer` into `reader` (the prediction schema
 * without features), under the codec's validation policy; null when the writer's shape is
 * one it does not handle.
 */
export function compileFastPredictionReader(writer: Type, reader: Type, policy: ValidationPolicy): FastPredictionReader | null {
  const source = fastReaderSource(writer as unknown as RecordTypeLike, reader as unknown as RecordTypeLike);
  if (source === null) return null;
  const factory = new Function('Record', 'MAX', 'SAFE_EXPONENT', 'policy', 'MODEL_NAME_PATTERN', source) as (
    record: RecordTypeLike['recordConstructor'],
    max: number,
    safeExponent: number,
    policy: ValidationPolicy,
    pattern: RegExp,
  ) => FastPredictionReader;
  return factory((reader as unknown as RecordTypeLike).recordConstructor, MAX_ABS_NUMBER, safeDoubleExponent(MAX_ABS_NUMBER), policy, MODEL_NAME_PATTERN);
}

/**
 * As length-guard.ts: the largest biased exponent of a double all of whose values lie within
 * ±max, so most doubles are judged by two bytes.
 */
function safeDoubleExponent(max: number): number {
  let k = Math.floor(Math.log2(max));
  while (2 ** k > max) k--;
  while (2 ** (k + 1) <= max) k++;
  return Math.max(-1, Math.min(2046, k + 1022));
}

// Runtime helpers of the generated code. `varint` reads a zig-zag long of up to 7 bytes (49
// bits: exact in a double, and read by avsc to the same number), NaN when it is longer or
// runs past the end; it leaves the position after it in `end`. `blank` is the nonEmpty rule
// (String.prototype.trim), asked only when the first character is not plainly visible ASCII.
// `Strings` is a table of recent strings by their UTF-8 bytes (up to 64 of them): find gives
// the string of the same bytes or undefined; add replaces the oldest entry once it is full.
const HELPERS = `
var end = 0;
function varint(buf, pos, len) {
  var n = 0, shift = 1, b, bytes = 0;
  do {
    if (pos >= len || ++bytes > 7) return NaN;
    b = buf[pos++];
    n += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  end = pos;
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}
function blank(s) {
  var c = s.length === 0 ? 0 : s.charCodeAt(0);
  return c > 32 && c < 127 ? false : s.trim().length === 0;
}
function Strings(size) { this.bytes = []; this.values = []; this.next = 0; this.size = size; }
Strings.prototype.find = function (buf, pos, n) {
  var all = this.bytes, bytes, i, k;
  search: for (k = 0; k < all.length; k++) {
    bytes = all[k];
    if (bytes.length !== n) continue;
    for (i = 0; i < n; i++) if (bytes[i] !== buf[pos + i]) continue search;
    return this.values[k];
  }
  return undefined;
};
Strings.prototype.add = function (buf, pos, n, value) {
  if (n > 64) return;
  var k = this.next;
  this.bytes[k] = Uint8Array.prototype.slice.call(buf, pos, pos + n);
  this.values[k] = value;
  this.next = k + 1 === this.size ? 0 : k + 1;
};
function inRange(buf, pos) {
  if ((((buf[pos + 7] & 0x7f) << 4) | (buf[pos + 6] >> 4)) <= SAFE_EXPONENT) return true;
  var x = buf.readDoubleLE(pos);
  return x <= MAX && x >= -MAX;
}
`;

/** Reads a zig-zag long into `target`: a one-byte one inline, a longer one by the helper. */
function readLong(target: string): string {
  return `if (pos < len && (b = buf[pos]) < 128) { pos++; ${target} = (b >> 1) ^ -(b & 1); } else { ${target} = varint(buf, pos, len); if (${target} !== ${target}) return; pos = end; }`;
}

/** Reads a string's length into `n` and checks it fits; the string is buf[pos, pos + n). */
function stringBounds(): string {
  return `${readLong('n')}\nif (n < 0 || n > len - pos) return;`;
}

/** Source of the whole reader, or null when a field's type is one it does not handle. */
function fastReaderSource(writer: RecordTypeLike, reader: RecordTypeLike): string | null {
  if (writer.typeName !== 'record' || reader.typeName !== 'record') return null;
  // The resolver also matches fields by their aliases; this reader by name only.
  if (reader.fields.some((f) => (f.aliases?.length ?? 0) > 0)) return null;
  const source = new ReaderSource();
  const writerFields = new Map(writer.fields.map((f) => [f.name, f]));
  const readerFields = new Set(reader.fields.map((f) => f.name));
  const steps: string[] = [];
  for (const field of writer.fields) {
    if (!readerFields.has(field.name)) {
      const skip = source.skip(field.type);
      if (skip === null) return null;
      steps.push(skip);
      continue;
    }
    const readerField = reader.fields.find((f) => f.name === field.name)!;
    // Same type on both sides: the resolver reads the value as the type itself does.
    if (JSON.stringify((field.type as unknown as RecordTypeLike).schema()) !== JSON.stringify((readerField.type as unknown as RecordTypeLike).schema())) return null;
    const read = source.read(field.type, `f_${field.name}`, FIELD_PLANS[field.name] ?? {});
    if (read === null) return null;
    steps.push(read);
  }
  const args: string[] = [];
  for (const field of reader.fields) {
    if (writerFields.has(field.name)) {
      args.push(`f_${field.name}`);
      continue;
    }
    // The constructor fills the default; a rule of the field's own would have to hold for it.
    if (FIELD_PLANS[field.name]?.rule !== undefined && !(field.name === 'classProbabilities' && isEmptyMap(field.defaultValue()))) return null;
    args.push('undefined');
  }
  const locals = ['len = buf.length', 'pos = 0', 'b', 'n', 'x', 'y', 'key', ...source.locals, ...writer.fields.filter((f) => readerFields.has(f.name)).map((f) => `f_${f.name}`)];
  const body = [
    `var ${locals.join(', ')};`,
    ...steps,
    'if (pos !== len) return;',
    `var value = new Record(${args.join(', ')});`,
    'if (value.predictedClass === null && value.predictedValue === null) return;',
    'return value;',
  ].join('\n');
  const tables = ['models', 'versions', 'classes'].map((table) => `var ${table} = new Strings(${TABLE_SIZE});`);
  return `'use strict';\n${HELPERS}\n${tables.join('\n')}\nreturn function readPrediction(buf) {\n${body}\n};`;
}

function isEmptyMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

class ReaderSource {
  /** Locals of the reader function (block counts, loop indices). */
  readonly locals: string[] = [];
  private nextName = 0;

  private local(prefix: string): string {
    const name = `${prefix}${this.nextName++}`;
    this.locals.push(name);
    return name;
  }

  /** Code reading a kept field's value into `target` and checking its rule; null if unknown. */
  read(type: AvscTypeLike, target: string, plan: FieldPlan): string | null {
    const { rule } = plan;
    switch (type.typeName) {
      case 'string':
        return this.readString(target, plan);
      case 'long':
        if (rule === 'eventTime') {
          // validate.ts: not before 1970, not beyond the allowed skew ahead of the clock.
          return `${readLong(target)}\nif (${target} < 0 || ${target} > policy.now() + policy.maxEventSkewMs) return;`;
        }
        return rule === undefined ? readLong(target) : null;
      case 'union:unwrapped': {
        // Only [null, T]: branch 0 is null, branch 1 the value.
        const branches = type.types ?? [];
        if (rule !== undefined || branches.length !== 2 || branches[0]!.typeName !== 'null') return null;
        const branch = branches[1]!.typeName;
        const value = branch === 'double' ? this.readDouble(target, 'x <= MAX && x >= -MAX') : branch === 'string' ? this.readString(target, plan) : null;
        if (value === null) return null;
        return [`if (pos >= len) return;`, `b = buf[pos++];`, `if (b === 0) ${target} = null;`, `else if (b === 2) {\n${value}\n} else return;`].join('\n');
      }
      case 'map': {
        if (rule !== undefined && rule !== 'probabilities') return null;
        const values = type.valuesType!.typeName;
        const item =
          values === 'double'
            ? this.readDouble('x', rule === 'probabilities' ? 'x >= 0 && x <= 1' : 'x <= MAX && x >= -MAX')
            : values === 'string' && rule === undefined
              ? this.readString('y', {})
              : null;
        if (item === null) return null;
        const count = this.local('c');
        const index = this.local('i');
        return [
          `${target} = {};`,
          `for (;;) {`,
          readLong(count),
          `if (${count} === 0) break;`,
          // A negative count (a block with its byte size) is left to the slow path.
          `if (${count} < 0 || ${count} > len - pos) return;`,
          `for (${index} = 0; ${index} < ${count}; ${index}++) {`,
          this.readString('key', { strings: plan.strings }),
          item,
          `${target}[key] = ${values === 'double' ? 'x' : 'y'};`,
          `}`,
          `}`,
        ].join('\n');
      }
      default:
        return null;
    }
  }

  /** Reads a string into `target` and checks the plan's rule (nonBlank, modelName or none). */
  private readString(target: string, { rule, strings }: FieldPlan): string | null {
    if (rule !== undefined && rule !== 'nonBlank' && rule !== 'modelName') return null;
    const check = rule === 'nonBlank' ? `if (blank(${target})) return;` : rule === 'modelName' ? `if (!MODEL_NAME_PATTERN.test(${target})) return;` : '';
    if (strings === undefined) return `${stringBounds()}\n${target} = buf.utf8Slice(pos, pos + n); pos += n;\n${check}`;
    return [
      stringBounds(),
      `${target} = ${strings}.find(buf, pos, n);`,
      `if (${target} === undefined) {`,
      `${target} = buf.utf8Slice(pos, pos + n);`,
      check,
      `${strings}.add(buf, pos, n, ${target});`,
      `}`,
      `pos += n;`,
    ].join('\n');
  }

  /** Reads a double into `target`; `accept` (on x) must hold, else the slow path judges it. */
  private readDouble(target: string, accept: string): string {
    return [`if (len - pos < 8) return;`, `x = buf.readDoubleLE(pos); pos += 8;`, `if (!(${accept})) return;`, target === 'x' ? '' : `${target} = x;`].join('\n');
  }

  /** Code stepping over a writer field the reader leaves out (the feature maps); null if unknown. */
  skip(type: AvscTypeLike): string | null {
    switch (type.typeName) {
      case 'null':
        return '';
      case 'boolean':
        return 'if (pos >= len) return;\npos++;';
      case 'int':
      case 'long':
        return readLong('n');
      case 'double':
        // Every number must be finite and in range, or the slow path refuses the prediction.
        return 'if (len - pos < 8 || !inRange(buf, pos)) return;\npos += 8;';
      case 'string':
        return `${stringBounds()}\npos += n;`;
      case 'map':
      case 'array': {
        const item = this.skip((type.typeName === 'map' ? type.valuesType : type.itemsType)!);
        if (item === null) return null;
        const key = type.typeName === 'map' ? `${stringBounds()}\npos += n;` : '';
        const count = this.local('c');
        const index = this.local('i');
        return [
          `for (;;) {`,
          readLong(count),
          `if (${count} === 0) break;`,
          `if (${count} < 0 || ${count} > len - pos) return;`,
          `for (${index} = 0; ${index} < ${count}; ${index}++) {\n${key}\n${item}\n}`,
          `}`,
        ].join('\n');
      }
      default:
        return null;
    }
  }
}
