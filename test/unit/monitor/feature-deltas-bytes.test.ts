// The drift service's byte path (featureDeltasFromBytes: decode without features, then read
// the feature entries from the bytes) against the decoded path (full decode + featureDeltas),
// on random references and predictions written byte by byte, so that what avsc never
// writes is in them too: repeated keys, several blocks per map (some with their byte size),
// booleans written as 2, keys that are not valid UTF-8, and both writer schemas.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { Codec, SCHEMA_HEADER } from '../../../shared/codec/index.js';
import { readHistoricalSchemas } from '../../../shared/codec/schema-files.js';
import type { FeatureType } from '../../../shared/config/monitoring-config.js';
import { featureDeltas, featureDeltasFromBytes } from '../../../shared/monitor/feature-deltas.js';
import { featureField } from '../../../shared/monitor/feature-fields.js';
import { buildReference, categoricalOf, numericOf, referenceRow, type ReferenceProfile } from '../../../shared/monitor/reference-profile.js';
import { makeRandom } from './events.js';

type Random = () => number;

const codec = new Codec();
const CURRENT = codec.typeOf('prediction').fingerprint('md5');
const V1 = avro.Type.forSchema(readHistoricalSchemas('prediction')[0] as avro.Schema).fingerprint('md5');

// Written as these bytes; '\ufffd' is also written as the invalid byte 0xff, which decodes to it.
const FEATURES = ['x', 'y', 'z', 'plan', 'flag', 'é', '日本', '\ufffd', 'extra-a', 'extra-b', 'a much longer feature name'];
const STRINGS = ['basic', 'pro', 'team', '1.5', ' 2 ', ' ', '', '0x10', '1e3', 'Infinity', '-0', 'true', 'false', 'ünï', '12abc'];

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;

function varint(out: number[], n: number): void {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
}

function bytes(out: number[], b: Uint8Array): void {
  varint(out, b.length);
  out.push(...b);
}

function keyBytes(r: Random, key: string): Uint8Array {
  return key === '\ufffd' && r() < 0.5 ? Uint8Array.of(0xff) : Buffer.from(key, 'utf8');
}

function double(out: number[], v: number): void {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  out.push(...b);
}

/** Map or array items in random blocks: positive counts, or negative ones followed by the block's byte size. */
function blocks(r: Random, out: number[], items: number[][]): void {
  let i = 0;
  while (i < items.length) {
    const n = 1 + Math.floor(r() * (items.length - i));
    const block = items.slice(i, i + n).flat();
    if (r() < 0.3) {
      varint(out, -n);
      varint(out, block.length);
    } else varint(out, n);
    out.push(...block);
    i += n;
  }
  varint(out, 0);
}

function entries<T>(r: Random, chance: number, value: (r: Random) => T): [string, T][] {
  const out: [string, T][] = [];
  for (const feature of FEATURES) if (r() < chance) out.push([feature, value(r)]);
  // A repeated key: the last entry is the map's value.
  if (out.length > 0 && r() < 0.2) out.push([pick(r, out)[0], value(r)]);
  // Shuffled a little, so entry positions do not always name the same feature.
  if (r() < 0.2) out.reverse();
  return out;
}

interface Written {
  value: Buffer;
  headers: Record<string, Buffer>;
}

function randomNumber(r: Random): number {
  const u = r();
  if (u < 0.1) return 0;
  if (u < 0.2) return Math.round(r() * 10);
  return (r() - 0.3) * 100;
}

/** A random prediction, encoded by hand with the current or the v1 writer schema. */
function writePrediction(r: Random, i: number, chance: number): Written {
  const v1 = r() < 0.3;
  const out: number[] = [];
  bytes(out, Buffer.from(`p-${i}`));
  bytes(out, Buffer.from('m'));
  bytes(out, Buffer.from(r() < 0.8 ? '1' : '2'));
  varint(out, 1_700_000_000_000 + Math.floor(r() * 600_000));
  const numeric = entries(r, chance, randomNumber).map(([k, v]) => {
    const item: number[] = [];
    bytes(item, keyBytes(r, k));
    double(item, v);
    return item;
  });
  blocks(r, out, numeric);
  const categorical = entries(r, chance, (r) => (r() < 0.5 ? pick(r, STRINGS) : String(randomNumber(r)))).map(([k, v]) => {
    const item: number[] = [];
    bytes(item, keyBytes(r, k));
    bytes(item, Buffer.from(v, 'utf8'));
    return item;
  });
  blocks(r, out, categorical);
  const booleans = entries(r, chance, (r) => (r() < 0.5 ? 0 : r() < 0.8 ? 1 : 2)).map(([k, v]) => {
    const item: number[] = [];
    bytes(item, keyBytes(r, k));
    item.push(v);
    return item;
  });
  blocks(r, out, booleans);
  const missing = FEATURES.filter(() => r() < 0.2).map((k) => {
    const item: number[] = [];
    bytes(item, keyBytes(r, k));
    return item;
  });
  blocks(r, out, missing);
  // predictedClass, predictedValue: at least one of them.
  const kind = r();
  if (kind < 0.7) {
    varint(out, 1);
    bytes(out, Buffer.from(pick(r, ['yes', 'no', 'maybe', '1'])));
  } else varint(out, 0);
  if (kind >= 0.4) {
    varint(out, 1);
    double(out, randomNumber(r));
  } else varint(out, 0);
  if (!v1) {
    blocks(r, out, r() < 0.5 ? [] : [[...bytesOf('yes'), ...doubleOf(r())]]);
    blocks(r, out, r() < 0.5 ? [] : [[...bytesOf('region'), ...bytesOf('eu')]]);
  }
  return { value: Buffer.from(out), headers: { [SCHEMA_HEADER]: v1 ? V1 : CURRENT } };
}

function bytesOf(s: string): number[] {
  const out: number[] = [];
  bytes(out, Buffer.from(s, 'utf8'));
  return out;
}

function doubleOf(v: number): number[] {
  const out: number[] = [];
  double(out, v);
  return out;
}

function randomReference(r: Random, events: Written[]): ReferenceProfile {
  const featureTypes: Record<string, FeatureType> = {};
  for (const feature of FEATURES) if (r() < 0.5) featureTypes[feature] = pick(r, ['numeric', 'categorical', 'boolean'] as const);
  const rows = events.map((e) => referenceRow(codec.decode('prediction', e.value, e.headers)));
  return buildReference(rows, {
    bins: 1 + Math.floor(r() * 10),
    maxCategories: 1 + Math.floor(r() * 6),
    featureTypes,
    ...(r() < 0.3 ? { task: pick(r, ['regression', 'binary', 'multiclass'] as const) } : {}),
  });
}

function bothPaths(events: Written[], reference: ReferenceProfile, bucketMs: number) {
  const decoded = featureDeltas(
    events.map((e) => codec.decode('prediction', e.value, e.headers)),
    reference,
    { bucketMs },
  );
  const fromBytes = featureDeltasFromBytes(
    events.map((e) => ({
      event: codec.decodePredictionWithoutFeatures(e.value, e.headers),
      bytes: e.value,
      reader: codec.predictionFeatureReader(e.headers),
    })),
    reference,
    { bucketMs },
  );
  return { decoded, fromBytes };
}

// Both paths take a feature's value with these two functions, so the comparison below cannot
// see a change of the rule itself: the rule is pinned here.
describe('the value rule of a feature found in several maps', () => {
  it('numeric column: the number, else the string parsed (blank and non-numbers missing), else the boolean as 1 / 0', () => {
    expect(numericOf(2.5, '7', true)).toBe(2.5);
    expect(numericOf(undefined, '7', true)).toBe(7);
    expect(numericOf(undefined, ' 7 ', undefined)).toBe(7);
    expect(numericOf(undefined, ' ', true)).toBeNull();
    expect(numericOf(undefined, '', true)).toBeNull();
    expect(numericOf(undefined, 'abc', true)).toBeNull();
    expect(numericOf(undefined, 'Infinity', undefined)).toBeNull();
    expect(numericOf(undefined, '0x10', undefined)).toBe(16);
    expect(numericOf(undefined, undefined, true)).toBe(1);
    expect(numericOf(undefined, undefined, false)).toBe(0);
    expect(numericOf(undefined, undefined, undefined)).toBeNull();
  });

  it("categorical column: the string, else the boolean as 'true' / 'false', else the number as a string", () => {
    expect(categoricalOf(1.5, ' ', true)).toBe(' ');
    expect(categoricalOf(1.5, '', true)).toBe('');
    expect(categoricalOf(1.5, undefined, false)).toBe('false');
    expect(categoricalOf(1.5, undefined, undefined)).toBe('1.5');
    expect(categoricalOf(-0, undefined, undefined)).toBe('0');
    expect(categoricalOf(undefined, undefined, undefined)).toBeNull();
  });
});

describe('featureDeltasFromBytes', () => {
  it('gives the deltas of full decode + featureDeltas on random references and predictions', () => {
    const r = makeRandom(20261202);
    for (let round = 0; round < 60; round++) {
      // Sparse or dense features, in the reference sample and in the live events independently.
      const sample = Array.from({ length: 5 + Math.floor(r() * 60) }, (_, i) => writePrediction(r, i, 0.2 + r() * 0.7));
      const reference = randomReference(r, sample);
      const live = Array.from({ length: 1 + Math.floor(r() * 200) }, (_, i) => writePrediction(r, i, 0.1 + r() * 0.8));
      const { decoded, fromBytes } = bothPaths(live, reference, pick(r, [1000, 60_000, 600_000]));
      expect(fromBytes).toEqual(decoded);
    }
  });

  it('a key written twice counts its last value, as the decoded map holds it', () => {
    const r = makeRandom(7);
    const sample = Array.from({ length: 20 }, (_, i) => writePrediction(r, i, 1));
    const reference = buildReference(
      sample.map((e) => referenceRow(codec.decode('prediction', e.value, e.headers))),
      { bins: 4, maxCategories: 3, featureTypes: { x: 'numeric' } },
    );
    const out: number[] = [];
    bytes(out, Buffer.from('p'));
    bytes(out, Buffer.from('m'));
    bytes(out, Buffer.from('1'));
    varint(out, 1_700_000_000_000);
    blocks(r, out, [[...bytesOf('x'), ...doubleOf(1e6)], [...bytesOf('x'), ...doubleOf(-1e6)]]);
    for (let i = 0; i < 3; i++) varint(out, 0);
    varint(out, 1);
    out.push(...bytesOf('yes'));
    varint(out, 0);
    varint(out, 0);
    varint(out, 0);
    const event = { value: Buffer.from(out), headers: { [SCHEMA_HEADER]: CURRENT } };
    expect(codec.decode('prediction', event.value, event.headers).numericFeatures).toEqual({ x: -1e6 });
    const { decoded, fromBytes } = bothPaths([event], reference, 1000);
    expect(fromBytes).toEqual(decoded);
    const x = reference.features.x;
    if (x?.type !== 'numeric') throw new Error('x should be numeric');
    expect(fromBytes.find((d) => d.family === 'feat:1')?.counters).toMatchObject({ [featureField('x', 'u')]: 1, [featureField('x', '~s')]: -1e6 });
  });

  it('tells apart strings whose bytes hash alike (the interned strings are checked byte by byte)', () => {
    // 'v7pwu' and 've5fa' have the same 32-bit FNV-1a hash.
    const events = ['v7pwu', 've5fa', 've5fa', 'v7pwu', 'other', 've5fa'].map((plan, i) =>
      codec.encode('prediction', {
        id: `p-${i}`,
        model: 'm',
        modelVersion: '1',
        eventTime: 1_700_000_000_000 + i,
        categoricalFeatures: { plan },
        predictedClass: 'yes',
      }),
    );
    const rows = events.slice(0, 2).map((e) => referenceRow(codec.decode('prediction', e.value, e.headers)));
    const reference = buildReference(rows, { bins: 2, maxCategories: 5 });
    const { decoded, fromBytes } = bothPaths(events, reference, 60_000);
    expect(fromBytes).toEqual(decoded);
    expect(fromBytes.find((d) => d.family === 'feat:1')?.counters).toEqual({
      [featureField('plan', 'c|v7pwu')]: 2,
      [featureField('plan', 'c|ve5fa')]: 3,
      [featureField('plan', 'o')]: 1,
    });
  });
});
