import type { ModelManifest } from '../../../shared/models/manifest.js';

/** A valid manifest without files, for store tests that do not train anything. */
export function manifestFixture(model: string, version: string, overrides: Partial<ModelManifest> = {}): Omit<ModelManifest, 'files'> {
  return {
    model,
    version,
    parentVersion: null,
    task: 'classification',
    classes: ['no', 'yes'],
    featureSpec: { columns: [{ kind: 'numeric', name: 'age', mean: 40, std: 12 }, { kind: 'boolean', name: 'member' }], width: 3 },
    trainingProfile: [{ feature: 'age', type: 'NUMERIC', binEdges: [0, 50, 100], counts: [3, 1], categories: {}, missing: 0 }],
    split: { train: { size: 6, from: 1, to: 6 }, validation: { size: 2, from: 7, to: 8 }, test: { size: 2, from: 9, to: 10 } },
    metrics: { train: { accuracy: 1 }, validation: { accuracy: 0.5 }, test: { accuracy: 0.5, f1_macro: Number.NaN } },
    hyperparameters: { learningRate: 0.003, optimizer: 'adam' },
    search: [{ learningRate: 0.003, epochs: 5, l2: 0, validationMetric: 0.5, validationLoss: 0.7, stoppedEpoch: 5, seconds: 0.1 }],
    backend: 'cpu',
    createdAt: 1_700_000_000_000,
    variants: [],
    ...overrides,
  };
}
