import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromArtifacts, modelToArtifacts, parseModelJson, type ModelArtifacts } from '../../../shared/learning/artifacts.js';
import type { LabelledExample } from '../../../shared/learning/example.js';
import { inferFeatureSpec, type FeatureSpec } from '../../../shared/learning/feature-spec.js';
import { gridSearch } from '../../../shared/learning/grid-search.js';
import { disposeNetwork } from '../../../shared/learning/network.js';
import { float16Bits, quantizeArtifacts } from '../../../shared/learning/quantize.js';
import { predictProbabilities, scoreModel } from '../../../shared/learning/scoring.js';
import { timeOrderedSplit } from '../../../shared/learning/split.js';
import { loadTf, type LayersModel, type Tf } from '../../../shared/learning/tf.js';
import { encodeRows } from '../../../shared/learning/feature-spec.js';
import { syntheticExamples } from './synthetic.js';

const classes = ['class_0', 'class_1', 'class_2'];
let tf: Tf;
let spec: FeatureSpec;
let test: LabelledExample[];
let model: LayersModel;
let artifacts: ModelArtifacts;
let reference: Float32Array;

beforeAll(async () => {
  ({ tf } = await loadTf());
  const split = timeOrderedSplit(syntheticExamples({ rows: 1500, seed: 21, classes: 3, noiseFeatures: 3 }), { validation: 0.2, test: 0.2 });
  test = split.test;
  spec = inferFeatureSpec(split.train.map((e) => e.features));
  const searched = await gridSearch({ spec, classes, train: split.train, validation: split.validation, grid: { learningRate: [0.01], epochs: [4], l2: [0] }, metric: 'accuracy', seed: 3 });
  model = searched.best.model;
  artifacts = await modelToArtifacts(model);
  reference = probabilitiesOf(model);
}, 60_000);

afterAll(() => disposeNetwork(model));

function probabilitiesOf(m: LayersModel): Float32Array {
  return predictProbabilities(tf, m, encodeRows(spec, test.map((e) => e.features)), spec.width);
}

async function compareWith(variant: ModelArtifacts): Promise<{ maxDiff: number; agreement: number }> {
  const loaded = await modelFromArtifacts(variant.modelJson, variant.weights);
  try {
    const p = probabilitiesOf(loaded);
    let maxDiff = 0;
    for (let i = 0; i < p.length; i++) maxDiff = Math.max(maxDiff, Math.abs((p[i] as number) - (reference[i] as number)));
    const a = (await scoreModel(model, spec, classes, test, 'accuracy')).predicted;
    const b = (await scoreModel(loaded, spec, classes, test, 'accuracy')).predicted;
    return { maxDiff, agreement: a.filter((c, i) => c === b[i]).length / a.length };
  } finally {
    loaded.dispose();
  }
}

describe('model artifacts', () => {
  it('writes the tfjs file format: model.json pointing at weights.bin', () => {
    const json = parseModelJson(artifacts.modelJson);
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0]?.paths).toEqual(['weights.bin']);
    const values = json.weightsManifest[0]!.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(artifacts.weights.byteLength).toBe(values * 4);
  });

  it('round-trips to identical predictions', async () => {
    const { maxDiff, agreement } = await compareWith(artifacts);
    expect(maxDiff).toBe(0);
    expect(agreement).toBe(1);
  });

  it('refuses weights that do not match model.json', async () => {
    await expect(modelFromArtifacts(artifacts.modelJson, artifacts.weights.slice(0, 100))).rejects.toThrow(/100 bytes, model.json describes/);
  });
});

describe('quantization', () => {
  it('encodes float16 bits with round-to-nearest-even', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(1e6)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(0.1)).toBe(0x2e66);
  });

  it('float16 halves the weights and keeps the predictions', async () => {
    const half = quantizeArtifacts(artifacts, 'float16');
    expect(half.weights.byteLength).toBe(artifacts.weights.byteLength / 2);
    const specs = parseModelJson(half.modelJson).weightsManifest[0]!.weights;
    expect(specs.every((s) => s.dtype === 'float32' && s.quantization?.dtype === 'float16')).toBe(true);
    const { maxDiff, agreement } = await compareWith(half);
    expect(maxDiff).toBeLessThan(2e-3);
    expect(agreement).toBeGreaterThanOrEqual(0.99);
  });

  it('uint8 quarters the weights and stays close', async () => {
    const byte = quantizeArtifacts(artifacts, 'uint8');
    expect(byte.weights.byteLength).toBe(artifacts.weights.byteLength / 4);
    const specs = parseModelJson(byte.modelJson).weightsManifest[0]!.weights;
    for (const s of specs) {
      expect(s.quantization).toMatchObject({ dtype: 'uint8' });
      expect(s.quantization!.scale).toBeGreaterThan(0);
      expect(typeof s.quantization!.min).toBe('number');
    }
    const { maxDiff, agreement } = await compareWith(byte);
    expect(maxDiff).toBeLessThan(0.05);
    expect(agreement).toBeGreaterThanOrEqual(0.97);
  });

  it('refuses to quantize twice', () => {
    expect(() => quantizeArtifacts(quantizeArtifacts(artifacts, 'uint8'), 'float16')).toThrow(/already quantized/);
  });
});
