import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelToArtifacts } from '../../../shared/learning/artifacts.js';
import { loadClassifier } from '../../../shared/learning/classifier.js';
import { inferFeatureSpec, type FeatureSpec } from '../../../shared/learning/feature-spec.js';
import { gridSearch } from '../../../shared/learning/grid-search.js';
import { disposeNetwork } from '../../../shared/learning/network.js';
import { quantizeArtifacts } from '../../../shared/learning/quantize.js';
import { scoreModel } from '../../../shared/learning/scoring.js';
import { timeOrderedSplit } from '../../../shared/learning/split.js';
import type { LabelledExample } from '../../../shared/learning/example.js';
import { loadTf, type LayersModel } from '../../../shared/learning/tf.js';
import { LocalModelStore } from '../../../shared/models/local-model-store.js';
import { IntegrityError } from '../../../shared/models/model-store.js';
import { manifestFixture } from '../models/manifest-fixture.js';
import { syntheticExamples } from './synthetic.js';

const classes = ['class_0', 'class_1'];
let dir: string;
let store: LocalModelStore;
let spec: FeatureSpec;
let test: LabelledExample[];
let model: LayersModel;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dw-classifier-'));
  store = new LocalModelStore(dir);
  const split = timeOrderedSplit(syntheticExamples({ rows: 1000, seed: 4 }), { validation: 0.2, test: 0.2 });
  test = split.test;
  spec = inferFeatureSpec(split.train.map((e) => e.features));
  model = (await gridSearch({ spec, classes, train: split.train, validation: split.validation, grid: { learningRate: [0.01], epochs: [3], l2: [0] }, metric: 'accuracy', seed: 8 })).best.model;
  const full = await modelToArtifacts(model);
  const half = quantizeArtifacts(full, 'float16');
  const files = new Map([
    ['model.json', full.modelJson],
    ['weights.bin', full.weights],
    ['variants/float16/model.json', half.modelJson],
    ['variants/float16/weights.bin', half.weights],
  ]);
  const variants = [{ precision: 'float16' as const, modelJson: 'variants/float16/model.json', weights: 'variants/float16/weights.bin', bytes: half.weights.byteLength }];
  await store.put(manifestFixture('churn', '1', { classes, featureSpec: spec, variants }), files);
}, 60_000);

afterAll(async () => {
  disposeNetwork(model);
  await rm(dir, { recursive: true, force: true });
});

describe('Classifier', () => {
  it('predicts from raw feature rows what the trained model predicts', async () => {
    const classifier = await loadClassifier(store, 'churn', '1');
    const expected = (await scoreModel(model, spec, classes, test, 'accuracy')).predicted;
    const batch = classifier.predictBatch(test.map((e) => e.features));
    expect(batch.map((p) => p.predictedClass)).toEqual(expected);
    const one = classifier.predict(test[0]!.features);
    expect(one).toEqual(batch[0]);
    expect(Object.keys(one.probabilities)).toEqual(classes);
    expect(Object.values(one.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    classifier.dispose();
    expect(() => classifier.predict(test[0]!.features)).toThrow(/disposed/);
  });

  it('loads a quantized variant', async () => {
    const classifier = await loadClassifier(store, 'churn', '1', { variant: 'float16' });
    const full = await loadClassifier(store, 'churn', '1');
    const rows = test.map((e) => e.features);
    const agree = classifier.predictBatch(rows).filter((p, i) => p.predictedClass === full.predictBatch([rows[i]!])[0]!.predictedClass).length;
    expect(agree / rows.length).toBeGreaterThanOrEqual(0.99);
    expect(classifier.precision).toBe('float16');
    classifier.dispose();
    full.dispose();
    await expect(loadClassifier(store, 'churn', '1', { variant: 'uint8' })).rejects.toThrow(/no uint8 variant \(has: float16\)/);
  });

  it('does not leak tensors across load, predict and dispose', async () => {
    const { tf } = await loadTf();
    const before = tf.memory().numTensors;
    const classifier = await loadClassifier(store, 'churn', '1');
    classifier.predictBatch(test.map((e) => e.features));
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses weights whose sha256 does not match the manifest', async () => {
    const path = join(dir, 'churn', '1', 'weights.bin');
    const original = await readFile(path);
    const flipped = Buffer.from(original);
    flipped[10] = (flipped[10] as number) ^ 1;
    await writeFile(path, flipped);
    try {
      await expect(loadClassifier(store, 'churn', '1')).rejects.toBeInstanceOf(IntegrityError);
    } finally {
      await writeFile(path, original);
    }
  });
});
