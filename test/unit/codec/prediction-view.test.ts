// The performance service's view of a prediction (Codec.decodePredictionWithoutFeatures):
// every field but the four feature maps, equal to decode()'s, and the same refusals with the
// same reasons and messages, whatever the bytes.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  Codec,
  CodecError,
  MAX_ABS_NUMBER,
  PREDICTION_FEATURE_FIELDS,
  SCHEMA_HEADER,
  type Prediction,
} from '../../../shared/codec/index.js';
import { readHistoricalSchemas } from '../../../shared/codec/schema-files.js';
import { toPredictionEvent } from '../../../shared/sdk/records.js';
import { generateScenario } from '../../../shared/sim/scenario.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 11, 1);
const codec = new Codec({ validation: { now: () => NOW } });
const avsc = codec.typeOf('prediction');
const headers = { [SCHEMA_HEADER]: avsc.fingerprint('md5') };
const base = { ...SAMPLE_EVENTS.prediction, eventTime: NOW - 60_000 } as Prediction;

type Outcome = { value: Record<string, unknown> } | { reason: string; message: string };

function outcome(fn: () => unknown): Outcome {
  try {
    return { value: { ...(fn() as object) } };
  } catch (error) {
    if (error instanceof CodecError) return { reason: error.reason, message: error.message };
    throw error;
  }
}

function withoutFeatures(value: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...value };
  for (const field of PREDICTION_FEATURE_FIELDS) delete rest[field];
  return rest;
}

/** decode() and the view give the same verdict; on success the view is decode() minus the features. */
function expectSameVerdict(bytes: Buffer | null, h: Record<string, Buffer | string | undefined> = headers): Outcome {
  const full = outcome(() => codec.decode('prediction', bytes, h));
  const view = outcome(() => codec.decodePredictionWithoutFeatures(bytes, h));
  if ('value' in full) {
    expect(view).toEqual({ value: withoutFeatures(full.value) });
    for (const field of PREDICTION_FEATURE_FIELDS) expect(view).not.toHaveProperty(['value', field]);
  } else {
    expect(view).toEqual(full);
  }
  return full;
}

describe('Codec.decodePredictionWithoutFeatures', () => {
  it('decodes the sample prediction and every scenario prediction as decode() does, minus the features', () => {
    const scenario = generateScenario({ model: 'churn', seed: 7, count: 2_000, eventsPerSecond: 50, startTime: NOW - 3_600_000 });
    const values = [base, ...scenario.predictions.map((r) => toPredictionEvent(r, () => NOW) as Prediction)];
    for (const value of values) {
      const encoded = codec.encode('prediction', value);
      const full = expectSameVerdict(encoded.value, encoded.headers);
      expect(full).toHaveProperty('value');
    }
  });

  it('reads a prediction of the v1 schema with the current defaults', () => {
    const [v1Schema] = readHistoricalSchemas('prediction');
    const v1 = avro.Type.forSchema(v1Schema as avro.Schema);
    const written = {
      id: 'old-1', model: 'churn', modelVersion: '1', eventTime: 1_600_000_000_000,
      numericFeatures: { x: 2 }, categoricalFeatures: { c: 'a' }, booleanFeatures: {}, missingFeatures: ['m'], predictedClass: 'a', predictedValue: null,
    };
    const v1Headers = { [SCHEMA_HEADER]: v1.fingerprint('md5') };
    const view = codec.decodePredictionWithoutFeatures(v1.toBuffer(written), v1Headers);
    expect({ ...view }).toEqual({ id: 'old-1', model: 'churn', modelVersion: '1', eventTime: 1_600_000_000_000, predictedClass: 'a', predictedValue: null, classProbabilities: {}, segments: {} });
    for (const bad of [{ eventTime: -5000 }, { model: 'evil{x}' }, { numericFeatures: { x: 1e200 } }, { numericFeatures: { x: Number.NaN } }]) {
      const outcome = expectSameVerdict(v1.toBuffer({ ...written, ...bad }), v1Headers);
      expect(outcome).toHaveProperty('reason');
    }
  });

  const raw = (changes: Partial<Prediction>) => avsc.toBuffer({ ...base, ...changes });
  const refused: [string, Buffer | null, string][] = [
    ['NaN feature', raw({ numericFeatures: { tenure: Number.NaN } }), 'NON_FINITE: prediction.numericFeatures.tenure is not a finite number'],
    ['-Infinity feature after a fine one', raw({ numericFeatures: { a: 1, b: Number.NEGATIVE_INFINITY } }), 'NON_FINITE: prediction.numericFeatures.b is not a finite number'],
    ['NaN probability', raw({ classProbabilities: { yes: Number.NaN } }), 'NON_FINITE: prediction.classProbabilities.yes is not a finite number'],
    ['infinite predicted value', raw({ predictedValue: Number.POSITIVE_INFINITY }), 'NON_FINITE: prediction.predictedValue is not a finite number'],
    // Non-finite is judged before every validation rule, as by decode().
    ['NaN feature and an empty id', raw({ id: '', numericFeatures: { x: Number.NaN } }), 'NON_FINITE: prediction.numericFeatures.x is not a finite number'],
    ['feature 1e200', raw({ numericFeatures: { tenure: 1, spend: 1e200 } }), 'INVALID: prediction: numeric feature "spend" 1e+200 is beyond ±1e+145'],
    // Integer-like keys come first in a JS object: the same feature is named first.
    ['two features out of range', raw({ numericFeatures: { b: 1e200, 7: -1e200 } }), 'INVALID: prediction: numeric feature "7" -1e+200 is beyond ±1e+145'],
    ['predicted value 1e200', raw({ predictedClass: null, predictedValue: 1e200 }), 'INVALID: prediction: predictedValue 1e+200 is beyond ±1e+145'],
    ['feature 1e200 and an empty id', raw({ id: ' ', numericFeatures: { x: 1e200 } }), 'INVALID: prediction: id is empty'],
    ['probability 1.15', raw({ classProbabilities: { yes: 1.15, no: 0 } }), 'INVALID: prediction: classProbabilities "yes" 1.15 is outside [0, 1]'],
    ['model evil{x}', raw({ model: 'evil{x}' }), 'INVALID: prediction: model: invalid model name "evil{x}": use letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit (at most 128)'],
    ['time -5000', raw({ eventTime: -5000 }), 'INVALID: prediction: eventTime -5000 is before 1970 (negative)'],
    ['no output', raw({ predictedClass: null, predictedValue: null }), 'INVALID: prediction: prediction has neither predictedClass nor predictedValue'],
    ['empty payload', Buffer.alloc(0), 'MALFORMED: empty payload'],
    ['null payload', null, 'MALFORMED: empty payload'],
    ['trailing bytes', Buffer.concat([raw({}), Buffer.from([0, 0])]), 'MALFORMED: prediction: 2 trailing bytes'],
    ['truncated', raw({}).subarray(0, 30), ''],
  ];

  it.each(refused)('refuses %s with the reason and message of decode()', (_, bytes, message) => {
    const verdict = expectSameVerdict(bytes);
    expect(verdict).toHaveProperty('reason');
    if (message !== '') expect((verdict as { message: string }).message).toBe(message);
  });

  it('accepts the edges as decode() does: |x| = the bound, and a feature NaN overwritten by a later duplicate key', () => {
    expectSameVerdict(raw({ numericFeatures: { spend: MAX_ABS_NUMBER, tenure: -MAX_ABS_NUMBER }, predictedClass: null, predictedValue: -MAX_ABS_NUMBER }));
    // A map written with the key twice (avsc keeps the last value): NaN first, then 1.
    const once = raw({ numericFeatures: { x: Number.NaN } });
    const good = raw({ numericFeatures: { x: 1 } });
    const offset = once.indexOf(Buffer.from([2, 2, 0x78])); // count 1, key "x"
    expect(offset).toBeGreaterThan(0);
    const entryNaN = once.subarray(offset + 1, offset + 1 + 2 + 8);
    const entryOne = good.subarray(offset + 1, offset + 1 + 2 + 8);
    const twice = Buffer.concat([once.subarray(0, offset), Buffer.from([4]), entryNaN, entryOne, once.subarray(offset + 1 + 2 + 8)]);
    const verdict = expectSameVerdict(twice);
    expect(verdict).toHaveProperty('value');
  });

  it('refuses the header problems of decode()', () => {
    expect(expectSameVerdict(raw({}), {})).toMatchObject({ reason: 'MISSING_SCHEMA_HEADER' });
    expect(expectSameVerdict(raw({}), { [SCHEMA_HEADER]: Buffer.alloc(16, 7) })).toMatchObject({ reason: 'UNKNOWN_SCHEMA' });
    const label = codec.encode('label', { ...SAMPLE_EVENTS.label, eventTime: NOW - 1 });
    expect(expectSameVerdict(label.value, label.headers)).toMatchObject({ reason: 'WRONG_SCHEMA' });
    const small = new Codec({ maxEventBytes: 16, validation: { now: () => NOW } });
    expect(() => small.decodePredictionWithoutFeatures(raw({}), headers)).toThrow(/^OVERSIZE: payload is \d+ bytes, limit 16$/);
  });

  it('gives the verdict of decode() for 20,000 random and mutated payloads', () => {
    const good = raw({ numericFeatures: { tenure: 12.5, spend: -3, score: 0.25 }, predictedClass: null, predictedValue: 3 });
    const doubles = [12.5, -3, 0.25, 3].map((x) => {
      const at = good.indexOf(Buffer.from(new Float64Array([x]).buffer));
      expect(at).toBeGreaterThan(0);
      return at;
    });
    const specials = [Number.NaN, Number.POSITIVE_INFINITY, -1e200, 1e146, MAX_ABS_NUMBER, 0.5];
    let state = 987654;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    const reasons = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      let bytes: Buffer;
      if (i % 2 === 0) {
        bytes = Buffer.from(Array.from({ length: 1 + (i % 300) }, random));
      } else {
        // A valid payload with a few bytes changed, or one of its doubles: reaches the number
        // checks and the rules far more often.
        bytes = Buffer.from(good);
        for (let k = 0; k < 1 + (i % 3); k++) bytes[random() % bytes.length] = random();
        if (i % 4 === 1) bytes.writeDoubleLE(specials[random() % specials.length]!, doubles[random() % doubles.length]!);
      }
      const verdict = expectSameVerdict(bytes);
      const key = 'reason' in verdict ? verdict.reason : 'ok';
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
    }
    // The mutations reach every kind of verdict, so the comparison covered each.
    for (const kind of ['ok', 'MALFORMED', 'NON_FINITE', 'INVALID']) expect(reasons.get(kind) ?? 0, kind).toBeGreaterThan(0);
  });
});
