import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { Codec, CodecError, EVENT_TYPES, SCHEMA_HEADER } from '../../../shared/codec/index.js';
import { readHistoricalSchemas } from '../../../shared/codec/schema-files.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

const codec = new Codec();

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodecError) return error.reason;
    throw error;
  }
  throw new Error('expected a CodecError');
}

describe('Codec', () => {
  it.each(EVENT_TYPES)('round-trips a %s event', (type) => {
    const encoded = codec.encode(type, SAMPLE_EVENTS[type] as never);
    expect(encoded.headers[SCHEMA_HEADER]).toHaveLength(16);
    const decoded = codec.decode(type, encoded.value, encoded.headers);
    expect({ ...decoded }).toEqual(SAMPLE_EVENTS[type]);
  });

  it('fills defaulted fields left out by the caller', () => {
    const { value, headers } = codec.encode('prediction', {
      id: 'p-2',
      model: 'm',
      modelVersion: '1',
      eventTime: 5,
      predictedValue: 0.4,
    });
    const decoded = codec.decode('prediction', value, headers);
    expect(decoded.numericFeatures).toEqual({});
    expect(decoded.predictedClass).toBeNull();
    expect(decoded.segments).toEqual({});
  });

  it('reads a prediction written with the v1 schema into the current shape', () => {
    const [v1Schema] = readHistoricalSchemas('prediction');
    expect(v1Schema).toBeDefined();
    const v1 = avro.Type.forSchema(v1Schema as avro.Schema);
    const written = {
      id: 'old-1',
      model: 'm',
      modelVersion: '1',
      eventTime: 1_600_000_000_000,
      numericFeatures: { x: 2 },
      categoricalFeatures: {},
      booleanFeatures: {},
      missingFeatures: [],
      predictedClass: 'a',
      predictedValue: null,
    };
    const decoded = codec.decode('prediction', v1.toBuffer(written), { [SCHEMA_HEADER]: v1.fingerprint('md5') });
    expect(decoded.id).toBe('old-1');
    expect(decoded.numericFeatures).toEqual({ x: 2 });
    expect(decoded.classProbabilities).toEqual({});
    expect(decoded.segments).toEqual({});
  });

  it.each(EVENT_TYPES)('the current %s schema reads every earlier version', (type) => {
    const current = codec.typeOf(type);
    for (const schema of readHistoricalSchemas(type)) {
      expect(() => current.createResolver(avro.Type.forSchema(schema as avro.Schema))).not.toThrow();
    }
  });

  describe('refuses bad input with a reason', () => {
    const good = codec.encode('prediction', SAMPLE_EVENTS.prediction);

    it('truncated bytes are MALFORMED', () => {
      expect(reasonOf(() => codec.decode('prediction', good.value.subarray(0, 10), good.headers))).toBe('MALFORMED');
    });

    it('trailing bytes are MALFORMED', () => {
      const padded = Buffer.concat([good.value, Buffer.from([0, 0, 0])]);
      expect(reasonOf(() => codec.decode('prediction', padded, good.headers))).toBe('MALFORMED');
    });

    it('empty and null payloads are MALFORMED', () => {
      expect(reasonOf(() => codec.decode('prediction', Buffer.alloc(0), good.headers))).toBe('MALFORMED');
      expect(reasonOf(() => codec.decode('prediction', null, good.headers))).toBe('MALFORMED');
    });

    it('a missing fingerprint header is MISSING_SCHEMA_HEADER', () => {
      expect(reasonOf(() => codec.decode('prediction', good.value, {}))).toBe('MISSING_SCHEMA_HEADER');
    });

    it('an unknown fingerprint is UNKNOWN_SCHEMA', () => {
      const headers = { [SCHEMA_HEADER]: Buffer.alloc(16, 7) };
      expect(reasonOf(() => codec.decode('prediction', good.value, headers))).toBe('UNKNOWN_SCHEMA');
    });

    it('a label where a prediction is expected is WRONG_SCHEMA', () => {
      const label = codec.encode('label', SAMPLE_EVENTS.label);
      expect(reasonOf(() => codec.decode('prediction', label.value, label.headers))).toBe('WRONG_SCHEMA');
    });

    it('NaN written by a foreign producer is NON_FINITE on decode', () => {
      const raw = codec.typeOf('prediction').toBuffer({
        ...SAMPLE_EVENTS.prediction,
        numericFeatures: { tenure: Number.NaN },
      });
      expect(reasonOf(() => codec.decode('prediction', raw, good.headers))).toBe('NON_FINITE');
    });

    it('non-finite numbers are refused on encode, naming the field', () => {
      expect(() =>
        codec.encode('label', { ...SAMPLE_EVENTS.label, trueClass: null, trueValue: Number.POSITIVE_INFINITY }),
      ).toThrow(/label\.trueValue/);
      expect(() =>
        codec.encode('prediction', { ...SAMPLE_EVENTS.prediction, classProbabilities: { yes: Number.NaN } }),
      ).toThrow(/classProbabilities\.yes/);
    });

    it('oversize payloads are OVERSIZE on both sides', () => {
      const small = new Codec({ maxEventBytes: 64 });
      const big = { ...SAMPLE_EVENTS.prediction, categoricalFeatures: { note: 'x'.repeat(100) } };
      expect(reasonOf(() => small.encode('prediction', big))).toBe('OVERSIZE');
      const bytes = codec.encode('prediction', big);
      expect(reasonOf(() => small.decode('prediction', bytes.value, bytes.headers))).toBe('OVERSIZE');
    });

    it('a value of the wrong shape is INVALID and names the field', () => {
      const bad = { ...SAMPLE_EVENTS.prediction, eventTime: 'yesterday' as unknown as number };
      expect(() => codec.encode('prediction', bad)).toThrow(/eventTime: expected long/);
    });

    it('a prediction without model or output is INVALID', () => {
      const raw = codec.typeOf('prediction').toBuffer({ ...SAMPLE_EVENTS.prediction, model: '' });
      expect(reasonOf(() => codec.decode('prediction', raw, good.headers))).toBe('INVALID');
      expect(() =>
        codec.encode('prediction', { ...SAMPLE_EVENTS.prediction, predictedClass: null, predictedValue: null }),
      ).toThrow(/neither predictedClass nor predictedValue/);
    });
  });
});

describe('length guard', () => {
  it('refuses a block count larger than the bytes left instead of looping over it', () => {
    const good = codec.encode('prediction', SAMPLE_EVENTS.prediction);
    // A prediction whose numericFeatures map claims 2^40 entries: 3 strings, then the map's count.
    const head = codec.typeOf('prediction').toBuffer({ ...SAMPLE_EVENTS.prediction, numericFeatures: {} });
    const id = Buffer.from([2 * 3]); // zig-zag length of 'p-1'
    const crafted = Buffer.concat([id, Buffer.from('p-1'), head.subarray(4, 4 + 1 + 5 + 1 + 1 + 6), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40])]);
    const started = performance.now();
    expect(() => codec.decode('prediction', crafted, good.headers)).toThrow(/MALFORMED: prediction: map block of \d+ items/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('decodes 20,000 random payloads quickly, each either valid or MALFORMED', () => {
    const good = codec.encode('prediction', SAMPLE_EVENTS.prediction);
    let state = 12345;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (i % 300) }, random));
      try {
        codec.decode('prediction', bytes, good.headers);
      } catch (error) {
        expect((error as CodecError).reason).toMatch(/MALFORMED|NON_FINITE|INVALID/);
      }
    }
    // Without the guard a single payload could loop for minutes; with it all take milliseconds.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
