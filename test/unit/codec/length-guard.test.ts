// The generated scanner (length-guard.ts) against the plain walk it replaced
// (test/support/reference-scanner.ts): for every writer schema the codec reads and a few
// synthetic ones (recursion, float, fixed, nested blocks), the same position, the same
// suspicious flag and the same RangeError message on valid bytes, every truncation, seeded
// single-byte mutations, random bytes, and doubles that are non-finite or near the bound.
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import type { Type } from 'avsc';
import { Codec, EVENT_TYPES, SCHEMA_HEADER, type EventType } from '../../../shared/codec/index.js';
import { compileLengthGuard, compileScanner, type Scanner } from '../../../shared/codec/length-guard.js';
import { EVENT_SCHEMA_FILES, readHistoricalSchemas, readSchema } from '../../../shared/codec/schema-files.js';
import { MAX_ABS_NUMBER } from '../../../shared/codec/validation-policy.js';
import { compileReferenceScanner } from '../../support/reference-scanner.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';
import { mutations, randomBytes, seeded, someTruncations, truncations, zigzag } from '../../support/corrupt-bytes.js';

type Outcome = { pos: number; suspicious: boolean } | { error: string; message: string };

function outcome(scan: Scanner, bytes: Buffer, start = 0): Outcome {
  try {
    const { pos, suspicious } = scan(bytes, start);
    return { pos, suspicious };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

/** Every outcome seen, by kind, to show the inputs reached each refusal and both flags. */
const seen = new Map<string, number>();

function note(result: Outcome): void {
  const kind = 'message' in result ? result.message.replace(/-?\d[\d.e+]*/g, 'N') : result.suspicious ? 'suspicious' : 'clean';
  seen.set(kind, (seen.get(kind) ?? 0) + 1);
}

interface Pair {
  fast: Scanner;
  reference: Scanner;
}

function pair(type: Type): Pair {
  return { fast: compileScanner(type), reference: compileReferenceScanner(type) };
}

/** Asserts both scanners agree on each input; collects the failures to report them together. */
function agreeOn(scanners: Pair, inputs: Iterable<Buffer>, what: string): void {
  const differences: string[] = [];
  let count = 0;
  for (const bytes of inputs) {
    count++;
    const expected = outcome(scanners.reference, bytes);
    const actual = outcome(scanners.fast, bytes);
    note(expected);
    if (JSON.stringify(actual) !== JSON.stringify(expected) && differences.length < 5) {
      differences.push(`${bytes.toString('hex')}: ${JSON.stringify(actual)} vs reference ${JSON.stringify(expected)}`);
    }
  }
  expect(count, what).toBeGreaterThan(0);
  expect(differences, what).toEqual([]);
}

// Doubles around the bound and the exponent the generated code decides on without reading
// the whole double (2^481 and 2^482 straddle MAX_ABS_NUMBER = 1e145).
const nextUp = (x: number): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
};
const SPECIAL_DOUBLES = [
  NaN,
  Infinity,
  -Infinity,
  1e200,
  -1e300,
  Number.MAX_VALUE,
  MAX_ABS_NUMBER,
  -MAX_ABS_NUMBER,
  nextUp(MAX_ABS_NUMBER),
  -nextUp(MAX_ABS_NUMBER),
  2 ** 481,
  -(2 ** 481),
  2 ** 482,
  nextUp(2 ** 481),
  -0,
  5e-324,
  Number.MIN_VALUE * 2 ** 52,
];

interface AvscType {
  typeName: string;
  name?: string;
  fields?: { name: string; type: AvscType }[];
  valuesType?: AvscType;
  itemsType?: AvscType;
  types?: AvscType[];
  symbols?: string[];
  size?: number;
  underlyingType?: AvscType;
}

/**
 * A valid value of any type, drawn from `random`: strings and counts long enough to need
 * varints of several bytes, and with probability `special` a double from SPECIAL_DOUBLES.
 */
function randomValue(type: AvscType, random: () => number, special: number, depth = 0): unknown {
  const pick = (n: number) => Math.floor(random() * n);
  // Counts of 64 and more take two bytes; only near the top, so the values stay small.
  const count = () => (depth > 3 ? 0 : depth <= 1 && random() < 0.1 ? 60 + pick(20) : pick(4));
  switch (type.typeName) {
    case 'null':
      return null;
    case 'boolean':
      return random() < 0.5;
    case 'int':
      return pick(2 ** 31) * (random() < 0.5 ? -1 : 1);
    case 'long':
      return Math.floor(random() * 2 ** (pick(53) + 1)) * (random() < 0.5 ? -1 : 1);
    case 'float':
    case 'double':
      if (random() < special) return SPECIAL_DOUBLES[pick(SPECIAL_DOUBLES.length)];
      return (random() - 0.5) * 10 ** pick(20);
    case 'string':
      return 'x'.repeat(random() < 0.1 ? 64 + pick(300) : pick(20));
    case 'bytes':
      return Buffer.alloc(pick(100), 7);
    case 'fixed':
      return Buffer.alloc(type.size!, 3);
    case 'enum':
      return type.symbols![pick(type.symbols!.length)];
    case 'record':
    case 'error':
      return Object.fromEntries(type.fields!.map((f) => [f.name, randomValue(f.type, random, special, depth + 1)]));
    case 'array':
      return Array.from({ length: count() }, () => randomValue(type.itemsType!, random, special, depth + 1));
    case 'map':
      return Object.fromEntries(Array.from({ length: count() }, (_, i) => [`k${i}`, randomValue(type.valuesType!, random, special, depth + 1)]));
    case 'union:unwrapped':
    case 'union:wrapped': {
      const branches = type.types!;
      const nullable = branches.findIndex((b) => b.typeName === 'null');
      const branch = depth > 3 && nullable >= 0 ? branches[nullable]! : branches[pick(branches.length)]!;
      const value = randomValue(branch, random, special, depth + 1);
      return type.typeName === 'union:wrapped' && value !== null ? { [branch.name ?? branch.typeName]: value } : value;
    }
    default:
      if (type.underlyingType) return randomValue(type.underlyingType, random, special, depth);
      throw new Error(`no random value for ${type.typeName}`);
  }
}

/** Every writer schema the codec reads: the current one of each event and its history. */
const WRITERS: { name: string; event: EventType; type: Type }[] = EVENT_TYPES.flatMap((event) => [
  { name: `${event} (current)`, event, type: avro.Type.forSchema(readSchema(EVENT_SCHEMA_FILES[event]) as avro.Schema) },
  ...readHistoricalSchemas(event).map((schema, i) => ({ name: `${event} (history v${i + 1})`, event, type: avro.Type.forSchema(schema as avro.Schema) })),
]);

/** Schemas beyond ours: types and shapes the generator handles that our events do not use. */
const SYNTHETIC: { name: string; type: Type }[] = [
  {
    name: 'recursive list',
    type: avro.Type.forSchema({
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'double' },
        { name: 'next', type: ['null', 'Node'] },
      ],
    }),
  },
  {
    name: 'recursive tree with a map and a float',
    type: avro.Type.forSchema({
      type: 'record',
      name: 'Tree',
      fields: [
        { name: 'label', type: 'string' },
        { name: 'weight', type: 'float' },
        { name: 'children', type: { type: 'array', items: 'Tree' } },
        { name: 'tags', type: { type: 'map', values: ['null', 'Tree', 'double'] } },
      ],
    }),
  },
  {
    name: 'fixed, bytes, nested blocks, wrapped union',
    type: avro.Type.forSchema(
      {
        type: 'record',
        name: 'Mixed',
        fields: [
          { name: 'id', type: { type: 'fixed', name: 'Id', size: 4 } },
          { name: 'raw', type: 'bytes' },
          { name: 'grid', type: { type: 'array', items: { type: 'array', items: { type: 'map', values: 'double' } } } },
          { name: 'flags', type: { type: 'array', items: 'boolean' } },
          { name: 'choice', type: ['null', 'int', 'string', { type: 'enum', name: 'E', symbols: ['A', 'B'] }, 'float'] },
          { name: 'when', type: { type: 'long', logicalType: 'timestamp-millis' } },
        ],
      },
      { wrapUnions: true },
    ),
  },
];

/** The encodings tried for a type: seeded random values, some with special doubles. */
function samples(type: Type, seed: number): Buffer[] {
  const random = seeded(seed);
  const out: Buffer[] = [];
  for (let k = 0; k < 12; k++) out.push(type.toBuffer(randomValue(type as unknown as AvscType, random, k < 6 ? 0 : 0.3)));
  return out;
}

describe('compileScanner (generated) against the reference walk', () => {
  const codec = new Codec();

  it.each(EVENT_TYPES)('agrees on a sample %s event, valid and every truncation', (event) => {
    const writer = WRITERS.find((w) => w.event === event && w.name.endsWith('(current)'))!;
    const scanners = pair(writer.type);
    const { value } = codec.encode(event, SAMPLE_EVENTS[event] as never);
    expect(scanners.fast(value, 0)).toEqual({ pos: value.length, suspicious: false });
    agreeOn(scanners, truncations(value), `${event} truncations`);
  });

  it.each(WRITERS.map((w) => [w.name, w] as const))('agrees on %s: random values, truncations, mutations, random bytes', (_, writer) => {
    const scanners = pair(writer.type);
    const random = seeded(writer.name.length * 7919);
    const values = samples(writer.type, writer.name.length);
    for (const bytes of values) {
      // Valid bytes scan to their end, the flag set exactly when a special double went in.
      expect(outcome(scanners.fast, bytes)).toEqual(outcome(scanners.reference, bytes));
      expect(scanners.fast(bytes, 0).pos).toBe(bytes.length);
      agreeOn(scanners, someTruncations(bytes, random), `${writer.name} truncations`);
      agreeOn(scanners, mutations(bytes, random, 150), `${writer.name} mutations`);
    }
    agreeOn(scanners, randomBytes(random, 1500), `${writer.name} random bytes`);
  });

  it.each(SYNTHETIC.map((s) => [s.name, s] as const))('agrees on the synthetic schema %s', (_, synthetic) => {
    const scanners = pair(synthetic.type);
    const random = seeded(synthetic.name.length * 104729);
    for (const bytes of samples(synthetic.type, synthetic.name.length)) {
      expect(scanners.fast(bytes, 0).pos).toBe(bytes.length);
      agreeOn(scanners, [bytes], `${synthetic.name} valid`);
      agreeOn(scanners, someTruncations(bytes, random), `${synthetic.name} truncations`);
      agreeOn(scanners, mutations(bytes, random, 150), `${synthetic.name} mutations`);
    }
    agreeOn(scanners, randomBytes(random, 1500), `${synthetic.name} random bytes`);
  });

  it('flags exactly the doubles beyond the bound, NaN and ±Infinity', () => {
    const type = avro.Type.forSchema({ type: 'record', name: 'D', fields: [{ name: 'x', type: 'double' }, { name: 'y', type: 'float' }] });
    const scan = compileScanner(type);
    const flagged = (x: number, y = 0) => scan(type.toBuffer({ x, y }), 0).suspicious;
    for (const x of [0, -0, 1, -1e144, 2 ** 481, -(2 ** 481), nextUp(2 ** 481), MAX_ABS_NUMBER, -MAX_ABS_NUMBER, 5e-324]) expect(flagged(x), String(x)).toBe(false);
    for (const x of [NaN, Infinity, -Infinity, nextUp(MAX_ABS_NUMBER), -nextUp(MAX_ABS_NUMBER), 2 ** 482, Number.MAX_VALUE]) expect(flagged(x), String(x)).toBe(true);
    for (const y of [NaN, Infinity, -Infinity]) expect(flagged(0, y), String(y)).toBe(true);
    expect(flagged(0, 3.4e38)).toBe(false);
  });

  it('reads negative block counts with their size hint, and refuses a count past the end', () => {
    const type = avro.Type.forSchema({ type: 'map', values: { type: 'array', items: 'long' } });
    const scanners = pair(type);
    const key = [...zigzag(1), 0x61];
    // map: one block of -2 entries (size hint 300, ignored), each an array in a negative block.
    const entry = [...key, ...zigzag(-2), ...zigzag(5), ...zigzag(1000), ...zigzag(-1), ...zigzag(1), ...zigzag(7), 0];
    const bytes = Buffer.from([...zigzag(-2), ...zigzag(300), ...entry, ...entry, ...zigzag(1), ...entry, 0]);
    expect(scanners.fast(bytes, 0)).toEqual({ pos: bytes.length, suspicious: false });
    expect(type.fromBuffer(bytes)).toEqual({ a: [1000, -1, 7] });
    agreeOn(scanners, truncations(bytes), 'negative blocks truncations');
    agreeOn(scanners, mutations(bytes, seeded(5), 2000), 'negative blocks mutations');
    const huge = Buffer.from([...zigzag(-(2 ** 40)), ...zigzag(3), 0, 0, 0]);
    expect(() => scanners.fast(huge, 0)).toThrow(new RangeError('map block of 1099511627776 items in 3 bytes'));
  });

  it('starts at the position given and keeps the varint rules', () => {
    const type = avro.Type.forSchema({ type: 'array', items: 'string' });
    const scan = compileScanner(type);
    const bytes = Buffer.from([9, 9, 2, 2, 0x61, 0]);
    expect(scan(bytes, 2)).toEqual({ pos: 6, suspicious: false });
    expect(compileLengthGuard(type)(bytes, 2)).toBe(6);
    expect(() => scan(Buffer.from([0x80, 0x80]), 0)).toThrow(new RangeError('truncated varint'));
    expect(() => scan(Buffer.alloc(11, 0x80), 0)).toThrow(new RangeError('varint longer than 10 bytes'));
    expect(() => scan(Buffer.from([2, 3]), 0)).toThrow(new RangeError('string of -2 bytes runs past the end'));
    const union = compileScanner(avro.Type.forSchema(['null', 'string']));
    expect(() => union(Buffer.from([5]), 0)).toThrow(new RangeError('union branch -3 of 2'));
  });

  it('reached every refusal and both flags over the inputs above', () => {
    // Runs after the tests above (vitest keeps the order within a file).
    for (const kind of [
      'clean',
      'suspicious',
      'truncated varint',
      'varint longer than N bytes',
      'string of N bytes runs past the end',
      'bytes of N bytes runs past the end',
      'double of N bytes runs past the end',
      'float of N bytes runs past the end',
      'boolean of N bytes runs past the end',
      'fixed of N bytes runs past the end',
      'array block of N items in N bytes',
      'map block of N items in N bytes',
      'union branch N of N',
    ]) {
      expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('is what the codec decodes with: a MALFORMED message from the scan carries its text', () => {
    const { value, headers } = codec.encode('prediction', SAMPLE_EVENTS.prediction);
    const cut = value.subarray(0, value.length - 3);
    const expected = outcome(compileReferenceScanner(codec.typeOf('prediction')), cut);
    expect('message' in expected).toBe(true);
    expect(() => codec.decode('prediction', cut, { [SCHEMA_HEADER]: headers[SCHEMA_HEADER]! })).toThrow(
      `prediction: ${(expected as { message: string }).message}`,
    );
  });
});
