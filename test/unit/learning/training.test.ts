import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabelledExample } from '../../../shared/learning/example.js';
import { inferFeatureSpec, type FeatureSpec } from '../../../shared/learning/feature-spec.js';
import { gridSearch, type GridSearchResult } from '../../../shared/learning/grid-search.js';
import { buildNetwork, disposeNetwork } from '../../../shared/learning/network.js';
import { scoreModel } from '../../../shared/learning/scoring.js';
import { timeOrderedSplit } from '../../../shared/learning/split.js';
import { loadTf, type Tf } from '../../../shared/learning/tf.js';
import { encodeExamples, fitWithEarlyStopping } from '../../../shared/learning/training.js';
import { syntheticExamples } from './synthetic.js';

const classes = ['class_0', 'class_1'];
let tf: Tf;
let spec: FeatureSpec;
let train: LabelledExample[];
let validation: LabelledExample[];
let test: LabelledExample[];
let searched: GridSearchResult;
let startTensors: number;

beforeAll(async () => {
  ({ tf } = await loadTf());
  startTensors = tf.memory().numTensors;
  ({ train, validation, test } = timeOrderedSplit(syntheticExamples({ rows: 2000, seed: 11, noiseFeatures: 4 }), { validation: 0.2, test: 0.2 }));
  spec = inferFeatureSpec(train.map((e) => e.features));
  searched = await gridSearch({ spec, classes, train, validation, grid: { learningRate: [0.003, 0.01], epochs: [2, 6], l2: [0, 0.001] }, metric: 'accuracy', seed: 5 });
}, 60_000);

afterAll(() => {
  disposeNetwork(searched.best.model);
  // Every tensor this file created is gone once the kept model is.
  expect(tf.memory().numTensors).toBe(startTensors);
});

describe('grid search', () => {
  it('has one row per grid point, in grid order', () => {
    expect(searched.table).toHaveLength(2 * 2 * 2);
    expect(searched.table.map((r) => [r.learningRate, r.epochs, r.l2])).toEqual([
      [0.003, 2, 0],
      [0.003, 2, 0.001],
      [0.003, 6, 0],
      [0.003, 6, 0.001],
      [0.01, 2, 0],
      [0.01, 2, 0.001],
      [0.01, 6, 0],
      [0.01, 6, 0.001],
    ]);
    for (const row of searched.table) {
      expect(row.stoppedEpoch).toBeLessThanOrEqual(row.epochs);
      expect(row.validationLoss).toBeGreaterThan(0);
      expect(row.seconds).toBeGreaterThan(0);
    }
    expect(searched.start).toEqual({ fromParent: false, reason: null, hiddenUnits: [32, 16] });
  });

  it('returns the best row by validation metric, and its model scores that on validation', async () => {
    const bestMetric = Math.max(...searched.table.map((r) => r.validationMetric));
    expect(searched.best.row.validationMetric).toBe(bestMetric);
    const scored = await scoreModel(searched.best.model, spec, classes, validation, 'accuracy');
    expect(scored.value).toBe(searched.best.row.validationMetric);
    expect(scored.metrics.log_loss).toBeCloseTo(searched.best.row.validationLoss, 5);
  });

  it('learns a separable problem: test accuracy above 0.9', async () => {
    const scored = await scoreModel(searched.best.model, spec, classes, test, 'f1_macro');
    expect(scored.metrics.accuracy).toBeGreaterThan(0.9);
    expect(scored.metrics.f1_macro).toBeGreaterThan(0.9);
    expect(scored.metrics.balanced_accuracy).toBeGreaterThan(0.9);
    expect(scored.metrics.count).toBe(test.length);
    expect(scored.value).toBe(scored.metrics.f1_macro);
    expect(scored.predicted).toHaveLength(test.length);
  });

  it('reads a checkpoint as a run of that many epochs with the same seed', async () => {
    const row = searched.table.find((r) => r.learningRate === 0.003 && r.epochs === 2 && r.l2 === 0)!;
    const model = buildNetwork(tf, { inputWidth: spec.width, classCount: 2, learningRate: 0.003, l2: 0, seed: 5 });
    const result = await fitWithEarlyStopping(tf, model, encodeExamples(spec, classes, train), encodeExamples(spec, classes, validation), {
      classes,
      maxEpochs: 2,
      batchSize: 64,
      patience: 3,
      seed: 5,
      metric: 'accuracy',
    });
    disposeNetwork(model);
    expect(result.bestValidationLoss).toBe(row.validationLoss);
    expect(result.bestValidation.value).toBe(row.validationMetric);
  });
});

describe('fine-tuning', () => {
  it("starts from the parent's weights", async () => {
    const parent = { model: searched.best.model, classes, spec };
    const parentLoss = (await scoreModel(parent.model, spec, classes, validation, 'accuracy')).metrics.log_loss;
    const model = buildNetwork(tf, { inputWidth: spec.width, classCount: 2, learningRate: 0.001, l2: 0, seed: 9 });
    model.setWeights(parent.model.getWeights());
    const result = await fitWithEarlyStopping(tf, model, encodeExamples(spec, classes, train), encodeExamples(spec, classes, validation), {
      classes,
      maxEpochs: 1,
      batchSize: 64,
      patience: 1,
      seed: 9,
      metric: 'accuracy',
    });
    disposeNetwork(model);
    expect(result.initialValidationLoss).toBe(parentLoss);

    const tuned = await gridSearch({ spec, classes, train, validation, grid: { learningRate: [0.001], epochs: [1], l2: [0] }, parent, metric: 'accuracy', seed: 9 });
    expect(tuned.start).toEqual({ fromParent: true, reason: null, hiddenUnits: [32, 16] });
    // One epoch at a small learning rate from a good parent stays near it; from scratch it would not.
    expect(tuned.best.row.validationLoss).toBeLessThan(parentLoss * 1.5);
    expect(tuned.best.row.validationMetric).toBeGreaterThan(0.9);
    disposeNetwork(tuned.best.model);
  });

  it('trains from scratch, and says why, when the classes differ', async () => {
    const three = ['class_0', 'class_1', 'class_2'];
    const data = timeOrderedSplit(syntheticExamples({ rows: 600, seed: 3, classes: 3 }), { validation: 0.25, test: 0.1 });
    const s3 = inferFeatureSpec(data.train.map((e) => e.features));
    const result = await gridSearch({
      spec: s3,
      classes: three,
      train: data.train,
      validation: data.validation,
      grid: { learningRate: [0.01], epochs: [1], l2: [0] },
      parent: { model: searched.best.model, classes, spec },
      metric: 'balanced_accuracy',
      seed: 1,
    });
    expect(result.start.fromParent).toBe(false);
    expect(result.start.reason).toMatch(/classes .* differ/);
    disposeNetwork(result.best.model);
  });
});

describe('tensor hygiene', () => {
  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const small = train.slice(0, 400);
    const result = await gridSearch({ spec, classes, train: small, validation, grid: { learningRate: [0.01], epochs: [1, 2], l2: [0, 0.01] }, metric: 'f1_macro', seed: 2 });
    await scoreModel(result.best.model, spec, classes, test, 'accuracy');
    disposeNetwork(result.best.model);
    expect(tf.memory().numTensors).toBe(before);
  });
});
