// The one-pass read of a prediction without its features (prediction-fast-path.ts) against
// the path it cuts short: a Codec with fastPredictionView false reads every prediction
// through the scan, avsc and the rules, as decodePredictionWithoutFeatures did before. On
// seeded predictions of every writer schema (valid ones and ones breaking each rule), their
// truncations, byte mutations and random bytes, and a few hand-made encodings (negative
// block counts, non-canonical varints, duplicate and integer-like keys), both give the same
// value (the same record class, the same key order, -0 and NaN alike) or the same CodecError
// (class, reason, message). The reader compiled on its own is also held to accept every
// valid prediction, so the comparison is not won by always deferring to the slow path.
import { isDeepStrictEqual } from 'node:util';
import avro from 'avsc';
import type { Type } from 'avsc';
import { describe, expect, it } from 'vitest';
import { Codec, CodecError, MAX_ABS_NUMBER, PREDICTION_FEATURE_FIELDS, SCHEMA_HEADER, DEFAULT_MAX_EVENT_SKEW_MS } from '../../../shared/codec/index.js';
import { compileFastPredictionReader, type FastPredictionReader } from '../../../shared/codec/prediction-fast-path.js';
import { EVENT_SCHEMA_FILES, readHistoricalSchemas, readSchema } from '../../../shared/codec/schema-files.js';
import { validationPolicy } from '../../../shared/codec/validation-policy.js';
import { mutations, randomBytes, seeded, someTruncations, zigzag } from '../../support/corrupt-bytes.js';
import { compileReferenceScanner } from '../../support/reference-scanner.js';

const NOW = Date.UTC(2026, 11, 1);
const SKEW = DEFAULT_MAX_EVENT_SKEW_MS;
const validation = { now: () => NOW };

interface Writer {
  name: string;
  type: Type;
  headers: Record<string, Buffer>;
}

const WRITERS: Writer[] = [
  readSchema(EVENT_SCHEMA_FILES.prediction),
  ...readHistoricalSchemas('prediction'),
].map((schema, i) => {
  const type = avro.Type.forSchema(schema as avro.Schema);
  return { name: i === 0 ? 'current' : `history v${i}`, type, headers: { [SCHEMA_HEADER]: type.fingerprint('md5') } };
});

/** The reader schema without features, as the codec builds it. */
function leanType(): Type {
  const prediction = readSchema(EVENT_SCHEMA_FILES.prediction) as { fields: { name: string }[] };
  const dropped = new Set<string>(PREDICTION_FEATURE_FIELDS);
  return avro.Type.forSchema({ ...prediction, fields: prediction.fields.filter((f) => !dropped.has(f.name)) } as avro.Schema);
}

type Outcome =
  | { value: unknown; record: string; keys: string }
  | { error: string; reason: string; message: string };

/** Every object's keys in order, nested: the order avsc's record and maps were filled in. */
function keyOrder(value: unknown): string {
  if (value === null || typeof value !== 'object') return '';
  return `{${Object.keys(value)
    .map((key) => `${JSON.stringify(key)}${keyOrder((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}

function outcome(read: () => unknown): Outcome {
  try {
    const value = read();
    return { value, record: recordClass(value), keys: keyOrder(value) };
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    return { error: error.constructor.name, reason: error.reason, message: error.message };
  }
}

/**
 * The avsc record class a value is an instance of, by its name and schema: each Codec makes
 * its own class (the two compared are different codecs), from the same schema.
 */
function recordClass(value: unknown): string {
  const record = (value as { constructor: { name: string; getType?: () => Type } }).constructor;
  return `${record.name} ${JSON.stringify(record.getType?.().schema())}`;
}

/** isDeepStrictEqual of the fields (maps' prototypes compared, -0 is not 0, NaN is NaN). */
function same(a: Outcome, b: Outcome): boolean {
  if ('error' in a || 'error' in b) return isDeepStrictEqual(a, b);
  return a.record === b.record && a.keys === b.keys && isDeepStrictEqual({ ...(a.value as object) }, { ...(b.value as object) });
}

const show = (o: Outcome): string => ('error' in o ? `${o.error} ${o.message}` : `${o.keys} ${JSON.stringify(o.value)}`);

/** The codec under test and the oracle, with the same clock, and what they were given. */
class Comparison {
  readonly fast: Codec;
  readonly slow: Codec;
  readonly counts = new Map<string, number>();
  readonly differences: string[] = [];

  constructor(options: { maxEventSkewMs?: number } = {}) {
    this.fast = new Codec({ validation: { ...validation, ...options } });
    this.slow = new Codec({ validation: { ...validation, ...options }, fastPredictionView: false });
  }

  /** Compares both on the bytes; returns the oracle's outcome. */
  check(bytes: Buffer, headers: Record<string, Buffer>, what: string): Outcome {
    const expected = outcome(() => this.slow.decodePredictionWithoutFeatures(bytes, headers));
    const actual = outcome(() => this.fast.decodePredictionWithoutFeatures(bytes, headers));
    const kind = 'error' in expected ? expected.reason : 'accepted';
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (!same(actual, expected) && this.differences.length < 5) {
      this.differences.push(`${what} ${bytes.toString('hex')}:\n  fast ${show(actual)}\n  slow ${show(expected)}`);
    }
    return expected;
  }

  expectAgreement(): void {
    expect(this.differences).toEqual([]);
  }
}

// Strings that stress the decoding and the rules: non-ASCII, whitespace trim() removes,
// a lone surrogate (written as U+FFFD), NUL.
const ODD = ['é', 'ß', '日本', '🙂', '\u00a0', '\u2028', '\ufeff', 'Ω', '\u0000', '\ud800', ' ', '\t'];
const MODELS = ['churn', 'm-a', 'm-b', 'Model_1.2', '9lives', 'x'.repeat(128)];
const BAD_MODELS = ['evil{x}', '', '-lead', '.hidden', 'x'.repeat(129), 'héllo', 'a b'];
const VERSIONS = ['1', '2', 'v3.1', ' 4', '日本', '\u00a0x'];
const BLANK = ['', ' ', '\t\n', '\u00a0', '\ufeff', '\u2028 \u3000'];
const CLASS_KEYS = ['yes', 'no', '0', '7', '10', 'maybe', '是', '🙂', '', ...Array.from({ length: 24 }, (_, i) => `c${i}`)];
const SPECIAL_DOUBLES = [NaN, Infinity, -Infinity, 1e200, -1e146, Number.MAX_VALUE];
const EDGE_DOUBLES = [0, -0, 5e-324, MAX_ABS_NUMBER, -MAX_ABS_NUMBER, 2 ** 481, 1e-300];

interface Generated {
  value: Record<string, unknown>;
  /** No rule broken and no number out of range: the fast path must accept it. */
  valid: boolean;
}

/** A random prediction; with probability `broken` each part breaks a rule or holds a bad number. */
function randomPrediction(random: () => number, broken: number): Generated {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const int = (n: number) => Math.floor(random() * n);
  let valid = true;
  const breaks = () => {
    const b = random() < broken;
    if (b) valid = false;
    return b;
  };
  const text = (max: number) => {
    let s = '';
    for (let i = int(max); i > 0; i--) s += random() < 0.15 ? pick(ODD) : String.fromCharCode(33 + int(94));
    return s;
  };
  const map = <V,>(count: number, key: () => string, value: () => V): Record<string, V> => {
    const out: Record<string, V> = {};
    for (let i = 0; i < count; i++) out[key()] = value();
    return out;
  };
  const number = () => (random() < 0.1 ? pick(EDGE_DOUBLES) : (random() - 0.5) * 10 ** int(12));
  const id = breaks() ? pick(BLANK) : random() < 0.2 ? `${pick(BLANK)}${pick(ODD)}x${text(12)}` : `p-${int(1e9)}${random() < 0.1 ? text(40) : ''}`;
  const model = breaks() ? pick(BAD_MODELS) : pick(MODELS);
  const modelVersion = breaks() ? pick(BLANK) : pick(VERSIONS);
  const eventTime = breaks() ? pick([-1, -5000, NOW + SKEW + 1, 2 ** 50]) : random() < 0.1 ? pick([0, NOW + SKEW, 1]) : NOW - int(1e10);
  let predictedClass: string | null = random() < 0.6 ? pick(CLASS_KEYS) : null;
  let predictedValue: number | null = predictedClass === null || random() < 0.3 ? number() : null;
  if (breaks()) {
    if (random() < 0.5) {
      predictedClass = null;
      predictedValue = null;
    } else {
      predictedValue = pick(SPECIAL_DOUBLES);
    }
  }
  const probability = () => (random() < 0.2 ? pick([0, 1, -0, 5e-324]) : random());
  const classProbabilities = random() < 0.3 ? {} : map(1 + int(5), () => pick(CLASS_KEYS), probability);
  if (breaks()) classProbabilities[pick(CLASS_KEYS)] = pick([1.5, -0.1, NaN, Infinity, 1e200]);
  const segments = random() < 0.4 ? {} : map(1 + int(3), () => pick(['region', 'tenant', '0', 'länder', text(6)]), () => text(8));
  const numericFeatures = random() < 0.2 ? {} : map(int(20), () => `n${int(30)}${random() < 0.1 ? pick(ODD) : ''}`, number);
  if (breaks()) numericFeatures[`bad${int(3)}`] = pick(SPECIAL_DOUBLES);
  const categoricalFeatures = map(int(5), () => `c${int(8)}`, () => text(10));
  const booleanFeatures = map(int(4), () => `b${int(6)}`, () => random() < 0.5);
  const missingFeatures = Array.from({ length: int(3) }, () => `m${int(5)}${random() < 0.2 ? pick(ODD) : ''}`);
  return {
    value: { id, model, modelVersion, eventTime, numericFeatures, categoricalFeatures, booleanFeatures, missingFeatures, predictedClass, predictedValue, classProbabilities, segments },
    valid,
  };
}

/** The fast reader compiled on its own (own caches), to see what it accepts. */
function directReader(writer: Writer): FastPredictionReader {
  const reader = compileFastPredictionReader(writer.type, leanType(), validationPolicy(validation));
  expect(reader, writer.name).not.toBeNull();
  return reader!;
}

describe('the one-pass read of a prediction without features', () => {
  it.each(WRITERS.map((w) => [w.name, w] as const))('gives the value or refusal of the slow path on random %s predictions', (_, writer) => {
    const comparison = new Comparison();
    const direct = directReader(writer);
    const random = seeded(writer.name.length * 31337);
    let validCount = 0;
    for (let k = 0; k < 6_000; k++) {
      const { value, valid } = randomPrediction(random, k % 3 === 0 ? 0.15 : 0);
      const bytes = writer.type.toBuffer(value);
      const expected = comparison.check(bytes, writer.headers, `prediction ${k}`);
      if (valid) {
        validCount++;
        // A valid prediction is accepted by both, and by the fast reader itself.
        expect('value' in expected, `prediction ${k}: ${show(expected)}`).toBe(true);
        const fast = direct(bytes);
        expect(fast, `prediction ${k}`).toBeDefined();
        expect({ ...fast }).toStrictEqual({ ...(expected as { value: object }).value });
      }
    }
    comparison.expectAgreement();
    expect(validCount).toBeGreaterThan(3_000);
    // Every rule was broken somewhere, and reached the slow path's refusal.
    for (const kind of ['accepted', 'INVALID', 'NON_FINITE']) expect(comparison.counts.get(kind) ?? 0, kind).toBeGreaterThan(50);
  });

  it.each(WRITERS.map((w) => [w.name, w] as const))('agrees on truncations, mutations and random bytes of %s predictions', (_, writer) => {
    const comparison = new Comparison();
    const direct = directReader(writer);
    const scanner = compileReferenceScanner(writer.type);
    const random = seeded(writer.name.length * 7919);
    let scanned = 0;
    let fastAccepted = 0;
    for (let k = 0; k < 60; k++) {
      const bytes = writer.type.toBuffer(randomPrediction(random, 0).value);
      for (const cut of someTruncations(bytes, random)) comparison.check(cut, writer.headers, 'truncation');
      for (const mutated of mutations(bytes, random, 120)) {
        comparison.check(mutated, writer.headers, 'mutation');
        // Mutations that keep the bytes well-formed are the ones that reach the values and rules.
        try {
          if (scanner(mutated, 0).pos === mutated.length) scanned++;
        } catch {
          // Refused by the scan: MALFORMED, compared above.
        }
        if (direct(mutated) !== undefined) fastAccepted++;
      }
    }
    for (const bytes of randomBytes(random, 3_000)) comparison.check(bytes, writer.headers, 'random bytes');
    comparison.expectAgreement();
    expect(scanned).toBeGreaterThan(500);
    expect(fastAccepted).toBeGreaterThan(500);
    for (const kind of ['accepted', 'MALFORMED', 'INVALID']) expect(comparison.counts.get(kind) ?? 0, kind).toBeGreaterThan(20);
  });

  describe('hand-made encodings', () => {
    const current = WRITERS[0]!;
    const str = (s: string): number[] => {
      const bytes = [...Buffer.from(s)];
      return [...zigzag(bytes.length), ...bytes];
    };
    const dbl = (x: number): number[] => [...Buffer.from(new Float64Array([x]).buffer)];
    /** A current prediction from its fields' bytes, each given or the default's. */
    const encode = (parts: Partial<Record<'head' | 'numeric' | 'categorical' | 'boolean' | 'missing' | 'cls' | 'value' | 'probs' | 'segments', number[]>>) =>
      Buffer.from([
        ...(parts.head ?? [...str('p-1'), ...str('churn'), ...str('3'), ...zigzag(NOW - 1000)]),
        ...(parts.numeric ?? [0]),
        ...(parts.categorical ?? [0]),
        ...(parts.boolean ?? [0]),
        ...(parts.missing ?? [0]),
        ...(parts.cls ?? [2, ...str('yes')]),
        ...(parts.value ?? [0]),
        ...(parts.probs ?? [0]),
        ...(parts.segments ?? [0]),
      ]);

    it('agrees on negative block counts (with a right or a wrong size hint), which it leaves to the slow path', () => {
      const comparison = new Comparison();
      const entry = [...str('x'), ...dbl(0.25)];
      const cases = [
        encode({ numeric: [...zigzag(-1), ...zigzag(entry.length), ...entry, 0] }),
        encode({ numeric: [...zigzag(-1), ...zigzag(3), ...entry, 0] }),
        encode({ numeric: [...zigzag(-1), ...zigzag(entry.length), ...str('x'), ...dbl(NaN), 0] }),
        encode({ probs: [...zigzag(-1), ...zigzag(entry.length), ...entry, 0] }),
        encode({ segments: [...zigzag(-2), ...zigzag(8), ...str('a'), ...str('b'), ...str('c'), ...str('d'), 0] }),
        encode({ missing: [...zigzag(-1), ...zigzag(2), ...str('m'), 0] }),
        // A count of -1 whose size hint, 0, would read as the end of the map to a reader that
        // took the count for no items.
        encode({ probs: [...zigzag(-1), 0] }),
        encode({ segments: [...zigzag(-1), 0] }),
        encode({ numeric: [...zigzag(-1), 0] }),
        encode({ missing: [...zigzag(-1), 0] }),
      ];
      const outcomes = cases.map((bytes, i) => comparison.check(bytes, current.headers, `case ${i}`));
      comparison.expectAgreement();
      expect(outcomes.filter((o) => 'value' in o).length).toBeGreaterThan(2);
      for (const bytes of cases) expect(directReader(current)(bytes)).toBeUndefined();
    });

    it('agrees on non-canonical varints: longer lengths, union indices and times', () => {
      const comparison = new Comparison();
      const cases = [
        // "p-1" with its length in two bytes (0x86 0x00 is 3).
        encode({ head: [0x86, 0x00, ...Buffer.from('p-1'), ...str('churn'), ...str('3'), ...zigzag(NOW - 1000)] }),
        // The null branch of predictedValue written as 0x80 0x00.
        encode({ value: [0x80, 0x00] }),
        encode({ cls: [0x82, 0x00, ...str('yes')] }),
        // A time of 8 varint bytes (beyond the fast read's 7) and a varint of 11 bytes.
        encode({ head: [...str('p-1'), ...str('churn'), ...str('3'), ...zigzag(2 ** 50)] }),
        encode({ head: [...str('p-1'), ...str('churn'), ...str('3'), ...Array(10).fill(0x80), 0] }),
        // A block count of 2 in seven bytes.
        encode({ probs: [0x84, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, ...str('a'), ...dbl(0.5), ...str('b'), ...dbl(0.5), 0] }),
      ];
      const outcomes = cases.map((bytes, i) => comparison.check(bytes, current.headers, `case ${i}`));
      comparison.expectAgreement();
      // avsc reads a union index in two bytes as any other long; the fast read leaves it to it.
      expect(outcomes.map((o) => ('value' in o ? 'accepted' : o.reason))).toEqual(['accepted', 'accepted', 'accepted', 'INVALID', 'MALFORMED', 'accepted']);
      const direct = directReader(current);
      expect(cases.map((bytes) => direct(bytes) !== undefined)).toEqual([true, false, false, false, false, true]);
    });

    it('agrees on a time beyond the fast read varints under a policy that allows it', () => {
      const comparison = new Comparison({ maxEventSkewMs: 2 ** 52 });
      const bytes = encode({ head: [...str('p-1'), ...str('churn'), ...str('3'), ...zigzag(2 ** 50)] });
      expect(comparison.check(bytes, current.headers, 'far time')).toMatchObject({ value: { eventTime: 2 ** 50 } });
      comparison.expectAgreement();
    });

    it('agrees on the edges of the clock and of the numbers', () => {
      const comparison = new Comparison();
      const head = (time: number) => [...str('p-1'), ...str('churn'), ...str('3'), ...zigzag(time)];
      const verdicts = [
        encode({ head: head(NOW + SKEW) }),
        encode({ head: head(NOW + SKEW + 1) }),
        encode({ head: head(0) }),
        encode({ head: head(-1) }),
        encode({ cls: [0], value: [2, ...dbl(-MAX_ABS_NUMBER)] }),
        encode({ cls: [0], value: [2, ...dbl(-0)] }),
        encode({ cls: [0], value: [2, ...dbl(NaN)] }),
        encode({ probs: [2, ...str('yes'), ...dbl(-0), 0] }),
        encode({ probs: [2, ...str('yes'), ...dbl(1 + Number.EPSILON), 0] }),
        encode({ numeric: [2, ...str('x'), ...dbl(MAX_ABS_NUMBER), 0] }),
        encode({ numeric: [2, ...str('x'), ...dbl(-Infinity), 0] }),
      ].map((bytes, i) => comparison.check(bytes, current.headers, `case ${i}`));
      comparison.expectAgreement();
      expect(verdicts.map((o) => ('value' in o ? 'accepted' : o.reason))).toEqual([
        'accepted', 'INVALID', 'accepted', 'INVALID', 'accepted', 'accepted', 'NON_FINITE', 'accepted', 'INVALID', 'accepted', 'NON_FINITE',
      ]);
      expect(Object.is((verdicts[5] as { value: { predictedValue: number } }).value.predictedValue, -0)).toBe(true);
    });

    it('builds maps as avsc does: a duplicate key keeps its last value, integer-like keys first, __proto__ not an own key', () => {
      const comparison = new Comparison();
      const probs = [6, ...str('yes'), ...dbl(0.1), ...str('7'), ...dbl(0.2), ...str('yes'), ...dbl(0.3), 0];
      const segments = [6, ...str('__proto__'), ...str('x'), ...str('b'), ...str('1'), ...str('0'), ...str('z'), 0];
      const bytes = encode({ probs, segments });
      const expected = comparison.check(bytes, current.headers, 'maps');
      comparison.expectAgreement();
      expect(expected).toMatchObject({ keys: expect.stringContaining('"classProbabilities"{"7","yes"}') as unknown });
      const value = (expected as { value: { classProbabilities: object; segments: object } }).value;
      expect(value.classProbabilities).toEqual({ 7: 0.2, yes: 0.3 });
      expect(Object.keys(value.segments)).toEqual(['0', 'b']);
      expect(directReader(current)(bytes)).toBeDefined();
    });

    it('keeps model, version and class names apart when they change from one prediction to the next', () => {
      const comparison = new Comparison();
      const direct = directReader(current);
      const head = (model: string, version: string) => [...str('p-1'), ...str(model), ...str(version), ...zigzag(NOW - 5)];
      // Empty strings before anything was kept; then same lengths, different bytes; an
      // invalid model right after a valid one of its length.
      const sequence = [
        encode({ head: head('m-a', '') }),
        encode({ head: [...str(''), ...str('m-a'), ...str('1'), ...zigzag(NOW - 5)] }),
        encode({ head: head('', '1') }),
        encode({ head: head('m-a', '1'), cls: [2, ...str('c1')] }),
        encode({ head: head('m-b', '2'), cls: [2, ...str('c2')] }),
        encode({ head: head('m-{', '2'), cls: [2, ...str('c2')] }),
        encode({ head: head('m-b', ' '), cls: [2, ...str('c3')] }),
        encode({ head: head('m-b', '2'), cls: [2, ...str('日本')] }),
        // More models, versions and classes than a table keeps (16), interleaved.
        ...Array.from({ length: 120 }, (_, i) => encode({ head: head(`m-${i % 19}`, `${i % 17}`), cls: [2, ...str(`k${i % 20}`)], probs: [2, ...str(`k${(i * 7) % 23}`), ...dbl(0.5), 0] })),
      ];
      const verdicts = sequence.map((bytes, i) => {
        direct(bytes);
        return comparison.check(bytes, current.headers, `case ${i}`);
      });
      comparison.expectAgreement();
      expect(verdicts.slice(0, 8).map((o) => ('value' in o ? `${(o.value as { model: string }).model}/${(o.value as { predictedClass: string }).predictedClass}` : o.reason))).toEqual([
        'INVALID', 'INVALID', 'INVALID', 'm-a/c1', 'm-b/c2', 'INVALID', 'INVALID', 'm-b/日本',
      ]);
      for (const [i, bytes] of sequence.entries()) {
        const fast = direct(bytes);
        if ('value' in verdicts[i]!) expect({ ...fast }).toStrictEqual({ ...(verdicts[i] as { value: object }).value });
        else expect(fast).toBeUndefined();
      }
    });
  });

  it('compiles for every writer the codec reads, and declines a writer shape it does not know', () => {
    const lean = leanType();
    const policy = validationPolicy(validation);
    for (const writer of WRITERS) expect(compileFastPredictionReader(writer.type, lean, policy), writer.name).not.toBeNull();
    const current = readSchema(EVENT_SCHEMA_FILES.prediction) as { fields: { name: string; type: unknown }[] };
    const variant = (change: (field: { name: string; type: unknown }) => { name: string; type: unknown } | null) =>
      avro.Type.forSchema({ ...current, fields: current.fields.map(change).filter((f) => f !== null) } as avro.Schema);
    // A float output (promoted by avsc's resolver), a union in the other order, an extra field of a
    // type it does not skip, a model version of bytes.
    const unknownShapes = [
      variant((f) => (f.name === 'predictedValue' ? { ...f, type: ['null', 'float'] } : f)),
      variant((f) => (f.name === 'predictedClass' ? { ...f, type: ['string', 'null'], default: 'x' } : f)),
      avro.Type.forSchema({ ...current, fields: [...current.fields, { name: 'extra', type: ['null', 'string'], default: null }] } as avro.Schema),
      variant((f) => (f.name === 'modelVersion' ? { ...f, type: 'bytes' } : f)),
    ];
    for (const writer of unknownShapes) expect(compileFastPredictionReader(writer, lean, policy)).toBeNull();
    // A reader field with an alias (the resolver would match a writer field by it).
    const aliased = leanType().schema() as { fields: { name: string; aliases?: string[] }[] };
    const withAlias = avro.Type.forSchema({ ...aliased, fields: aliased.fields.map((f) => (f.name === 'modelVersion' ? { ...f, aliases: ['version'] } : f)) } as avro.Schema);
    expect(compileFastPredictionReader(WRITERS[0]!.type, withAlias, policy)).toBeNull();
    expect(compileFastPredictionReader(WRITERS[0]!.type, leanType(), policy)).not.toBeNull();
  });
});
