// Issue 9's poison events: what can never be valid is INVALID on encode (the SDK's check) and
// on decode (a foreign or buggy producer that wrote it with avsc directly), with the reason.
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { Codec, CodecError, MAX_ABS_NUMBER, SCHEMA_HEADER, type LabelInput, type PredictionInput } from '../../../shared/codec/index.js';
import { readHistoricalSchemas } from '../../../shared/codec/schema-files.js';
import { modelNameProblem } from '../../../shared/model-name.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

const NOW = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;
const codec = new Codec({ validation: { now: () => NOW } });
const prediction = { ...SAMPLE_EVENTS.prediction, eventTime: NOW - 60_000 } as Required<PredictionInput>;
const label = { ...SAMPLE_EVENTS.label, eventTime: NOW - 30_000 } as Required<LabelInput>;

/** The CodecError of encoding, and of decoding the same value written without the codec's checks. */
function refusals(type: 'prediction' | 'label', value: object): { encode: CodecError; decode: CodecError } {
  const raw = codec.typeOf(type).toBuffer(value);
  const headers = { [SCHEMA_HEADER]: codec.typeOf(type).fingerprint('md5') };
  return { encode: thrown(() => codec.encode(type, value as never)), decode: thrown(() => codec.decode(type, raw, headers)) };
}

function thrown(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodecError) return error;
    throw error;
  }
  throw new Error('expected a CodecError');
}

const cases: { name: string; type: 'prediction' | 'label'; value: object; says: RegExp }[] = [
  { name: 'prediction time -5000', type: 'prediction', value: { ...prediction, eventTime: -5000 }, says: /eventTime -5000 is before 1970/ },
  { name: 'prediction time beyond the skew', type: 'prediction', value: { ...prediction, eventTime: NOW + DAY + 1 }, says: /eventTime .* more than 86400000 ms ahead/ },
  { name: 'prediction dated 2034', type: 'prediction', value: { ...prediction, eventTime: Date.UTC(2034, 0, 1) }, says: /2034-01-01T00:00:00.000Z is more than/ },
  { name: 'label time -1', type: 'label', value: { ...label, eventTime: -1 }, says: /eventTime -1 is before 1970/ },
  { name: 'label dated 2034', type: 'label', value: { ...label, eventTime: Date.UTC(2034, 0, 1) }, says: /ahead of the clock/ },
  { name: 'model name evil{x}', type: 'prediction', value: { ...prediction, model: 'evil{x}' }, says: /invalid model name "evil\{x\}"/ },
  { name: 'label model name with a slash', type: 'label', value: { ...label, model: 'a/b' }, says: /invalid model name/ },
  { name: 'model name of 129 characters', type: 'prediction', value: { ...prediction, model: 'm'.repeat(129) }, says: /129 characters/ },
  { name: 'model name starting with a dot', type: 'prediction', value: { ...prediction, model: '.hidden' }, says: /invalid model name/ },
  { name: 'numeric feature 1e200', type: 'prediction', value: { ...prediction, numericFeatures: { tenure: 1, spend: 1e200 } }, says: /numeric feature "spend" 1e\+200 is beyond/ },
  { name: 'numeric feature -1e146', type: 'prediction', value: { ...prediction, numericFeatures: { spend: -1e146 } }, says: /beyond/ },
  { name: 'predicted value 1e200', type: 'prediction', value: { ...prediction, predictedClass: null, predictedValue: 1e200 }, says: /predictedValue 1e\+200/ },
  { name: 'true value -1e300', type: 'label', value: { ...label, trueClass: null, trueValue: -1e300 }, says: /trueValue/ },
  { name: 'probability 1.15', type: 'prediction', value: { ...prediction, classProbabilities: { yes: 1.15, no: 0 } }, says: /classProbabilities "yes" 1.15 is outside \[0, 1\]/ },
  { name: 'probability -0.01', type: 'prediction', value: { ...prediction, classProbabilities: { yes: 0.5, no: -0.01 } }, says: /"no" -0.01 is outside/ },
];

describe('validation of what can never be valid (issue 9)', () => {
  it.each(cases)('$name is INVALID on encode and on decode, with the reason', ({ type, value, says }) => {
    const { encode, decode } = refusals(type, value);
    for (const error of [encode, decode]) {
      expect(error.reason).toBe('INVALID');
      expect(error.message).toMatch(says);
    }
  });

  it('accepts the edges: time 0 and exactly the skew ahead, |x| = the bound, probabilities 0 and 1, a 128-character name', () => {
    const ok: object[] = [
      { ...prediction, eventTime: 0 },
      { ...prediction, eventTime: NOW + DAY },
      { ...prediction, numericFeatures: { spend: MAX_ABS_NUMBER, tenure: -MAX_ABS_NUMBER } },
      { ...prediction, classProbabilities: { yes: 1, no: 0 } },
      { ...prediction, model: `A${'b.c_d-'.repeat(18)}x`.slice(0, 128) },
    ];
    for (const value of ok) {
      const encoded = codec.encode('prediction', value as never);
      expect(codec.decode('prediction', encoded.value, encoded.headers)).toBeDefined();
    }
  });

  it('does not require a probability map to sum to 1 (partial and rounded maps are common)', () => {
    for (const classProbabilities of [{ yes: 0.81 }, { a: 0.34, b: 0.34, c: 0.34 }, { a: 0.2, b: 0.2 }] as Record<string, number>[]) {
      expect(() => codec.encode('prediction', { ...prediction, classProbabilities })).not.toThrow();
    }
  });

  it('takes the skew and the clock from its policy: the same event is valid under a later clock or a larger skew', () => {
    const future = { ...prediction, eventTime: NOW + 3 * DAY };
    expect(thrown(() => codec.encode('prediction', future)).reason).toBe('INVALID');
    expect(() => new Codec({ validation: { now: () => NOW, maxEventSkewMs: 7 * DAY } }).encode('prediction', future)).not.toThrow();
    expect(() => new Codec({ validation: { now: () => NOW + 2 * DAY } }).encode('prediction', future)).not.toThrow();
    expect(() => new Codec({ validation: { maxEventSkewMs: -1 } })).toThrow(RangeError);
    expect(new Codec().validation.maxEventSkewMs).toBe(DAY);
  });

  it('reads valid events of the v1 prediction schema and refuses invalid ones', () => {
    const [v1Schema] = readHistoricalSchemas('prediction');
    const v1 = avro.Type.forSchema(v1Schema as avro.Schema);
    const headers = { [SCHEMA_HEADER]: v1.fingerprint('md5') };
    const written = {
      id: 'old-1', model: 'churn', modelVersion: '1', eventTime: 1_600_000_000_000,
      numericFeatures: { x: 2 }, categoricalFeatures: {}, booleanFeatures: {}, missingFeatures: [], predictedClass: 'a', predictedValue: null,
    };
    expect(codec.decode('prediction', v1.toBuffer(written), headers).classProbabilities).toEqual({});
    expect(thrown(() => codec.decode('prediction', v1.toBuffer({ ...written, eventTime: -5000 }), headers)).reason).toBe('INVALID');
    expect(thrown(() => codec.decode('prediction', v1.toBuffer({ ...written, model: 'evil{x}' }), headers)).reason).toBe('INVALID');
  });

  it('refuses a model event whose model name is unsafe', () => {
    expect(thrown(() => codec.encode('model', { ...SAMPLE_EVENTS.model, model: 'evil{x}' })).reason).toBe('INVALID');
  });
});

describe('the one model-name rule', () => {
  it('accepts safe tokens and refuses separators, braces, spaces, dots first and length over 128', () => {
    for (const name of ['churn', 'Churn-2.v1_a', '0', 'a'.repeat(128)]) expect(modelNameProblem(name), name).toBeNull();
    for (const name of ['', 'evil{x}', 'a/b', '../etc', 'a b', '.x', '-x', 'a|b', 'a'.repeat(129), 'é']) expect(modelNameProblem(name), name).not.toBeNull();
  });
});
