// Schema v2 of the model event (read alongside v1) and the incident record.
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { Codec, CodecError, SCHEMA_HEADER } from '../../../shared/codec/index.js';
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

/** Plain objects all the way down (avsc decodes records into class instances). */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('model event v2', () => {
  const v1Event = {
    model: 'churn',
    version: '3',
    status: 'PROMOTED' as const,
    parentVersion: null,
    artifactUri: 'file:///models/churn/3',
    trigger: { kind: 'MANUAL' as const, alertId: null },
    challengerMetrics: { accuracy: 0.9 },
    championMetrics: {},
    trainingSize: 1000,
    referenceProfile: [{ feature: 'x', type: 'NUMERIC' as const, binEdges: [0, 1], counts: [3], categories: {}, missing: 0 }],
    time: 1_700_000_000_000,
  };

  it('keeps v1 in schemas/history', () => {
    expect(readHistoricalSchemas('model')).toHaveLength(1);
  });

  it('reads a model event written with the v1 schema, new fields at their defaults', () => {
    const [v1Schema] = readHistoricalSchemas('model');
    const v1 = avro.Type.forSchema(v1Schema as avro.Schema);
    expect(v1.fingerprint('md5').equals(codec.typeOf('model').fingerprint('md5'))).toBe(false);
    const decoded = codec.decode('model', v1.toBuffer(v1Event), { [SCHEMA_HEADER]: v1.fingerprint('md5') });
    expect(plain(decoded)).toEqual({
      ...v1Event,
      reason: null,
      metric: null,
      incidentId: null,
      fencingToken: null,
      variants: [],
      backend: null,
    });
  });

  it('fills the new fields when a producer leaves them out', () => {
    const { value, headers } = codec.encode('model', { ...v1Event, status: 'CANDIDATE', trigger: { kind: 'ALERT', alertId: 'a' } });
    const decoded = codec.decode('model', value, headers);
    expect(decoded.variants).toEqual([]);
    expect(decoded.fencingToken).toBeNull();
    expect(decoded.reason).toBeNull();
  });

  it('round-trips variants and a 64-bit-range fencing token', () => {
    const event = { ...SAMPLE_EVENTS.model, status: 'REJECTED' as const, reason: 'challenger 0.71 < champion 0.70 + margin 0.02', fencingToken: 2 ** 40 };
    const { value, headers } = codec.encode('model', event);
    expect(plain(codec.decode('model', value, headers))).toEqual(plain(event));
  });

  it('refuses a variant with a non-finite parity number', () => {
    const variant = { ...SAMPLE_EVENTS.model.variants![0]!, metricDelta: Number.NaN };
    expect(() => codec.encode('model', { ...SAMPLE_EVENTS.model, variants: [variant] })).toThrow(/model\.variants\.0\.metricDelta/);
  });

  it('refuses an unknown variant precision as INVALID', () => {
    const variant = { ...SAMPLE_EVENTS.model.variants![0]!, precision: 'INT4' as never };
    expect(reasonOf(() => codec.encode('model', { ...SAMPLE_EVENTS.model, variants: [variant] }))).toBe('INVALID');
  });
});

describe('incident', () => {
  it('round-trips a full incident record', () => {
    const { value, headers } = codec.encode('incident', SAMPLE_EVENTS.incident);
    expect(plain(codec.decode('incident', value, headers))).toEqual(plain(SAMPLE_EVENTS.incident));
  });

  it('needs only id, model, status and times: everything else defaults', () => {
    const { value, headers } = codec.encode('incident', {
      id: 'inc-2',
      model: 'churn',
      status: 'OPEN',
      openedAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
    });
    expect(plain(codec.decode('incident', value, headers))).toEqual({
      id: 'inc-2',
      model: 'churn',
      championVersion: null,
      challengerVersion: null,
      status: 'OPEN',
      openedAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      triggers: [],
      diagnosis: null,
      data: null,
      search: [],
      metric: null,
      championMetrics: {},
      challengerMetrics: {},
      decision: null,
      reason: null,
      variants: [],
      verification: null,
    });
  });

  it('is not readable as another event type', () => {
    const { value, headers } = codec.encode('incident', SAMPLE_EVENTS.incident);
    expect(reasonOf(() => codec.decode('model', value, headers))).toBe('WRONG_SCHEMA');
  });

  it('refuses an incident without id or model, or updated before it opened', () => {
    expect(() => codec.encode('incident', { ...SAMPLE_EVENTS.incident, id: ' ' })).toThrow(/incident: id is empty/);
    expect(() => codec.encode('incident', { ...SAMPLE_EVENTS.incident, model: '' })).toThrow(/model is empty/);
    expect(() => codec.encode('incident', { ...SAMPLE_EVENTS.incident, updatedAt: 1 })).toThrow(/updatedAt is before openedAt/);
  });

  it('refuses non-finite numbers deep in the record, naming the path', () => {
    const search = [{ ...SAMPLE_EVENTS.incident.search![0]!, validationLoss: Number.POSITIVE_INFINITY }];
    expect(() => codec.encode('incident', { ...SAMPLE_EVENTS.incident, search })).toThrow(/incident\.search\.0\.validationLoss/);
    const diagnosis = { ...SAMPLE_EVENTS.incident.diagnosis!, metricBefore: Number.NaN };
    expect(() => codec.encode('incident', { ...SAMPLE_EVENTS.incident, diagnosis })).toThrow(/incident\.diagnosis\.metricBefore/);
  });

  it('refuses truncated incident bytes as MALFORMED', () => {
    const { value, headers } = codec.encode('incident', SAMPLE_EVENTS.incident);
    for (const cut of [1, 10, value.length >> 1, value.length - 1]) {
      expect(reasonOf(() => codec.decode('incident', value.subarray(0, cut), headers))).toBe('MALFORMED');
    }
  });
});
