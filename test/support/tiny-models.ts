// Tiny trained classifiers in a ModelStore, for the ModelWatcher and `driftwatch models`
// tests: two features, two classes, a rule a small MLP learns in a few epochs.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { inferFeatureSpec, type FeatureRow } from '../../shared/learning/feature-spec.js';
import { modelToArtifacts } from '../../shared/learning/artifacts.js';
import { buildNetwork, disposeNetwork } from '../../shared/learning/network.js';
import { encodeExamples } from '../../shared/learning/training.js';
import { loadTf } from '../../shared/learning/tf.js';
import type { LabelledExample } from '../../shared/learning/example.js';
import type { ModelStore } from '../../shared/models/model-store.js';
import type { ModelManifest } from '../../shared/models/manifest.js';
import type { FeatureSpec } from '../../shared/learning/feature-spec.js';
import type { ModelArtifacts } from '../../shared/learning/artifacts.js';

const CLASSES = ['no', 'yes'];

/** Deterministic rows: `spend` spread over [-2, 2], `plan` alternating. */
export const TINY_ROWS: FeatureRow[] = Array.from({ length: 200 }, (_, i) => ({
  spend: ((i * 37) % 200) / 50 - 2,
  plan: i % 2 === 0 ? 'pro' : 'free',
}));

function label(row: FeatureRow, flip: boolean): string {
  const yes = (row.spend as number) > 0;
  return yes !== flip ? 'yes' : 'no';
}

export interface TinyVersionOptions {
  seed: number;
  parentVersion?: string;
  /** Learn the opposite rule, so predictions tell this version apart from an unflipped one. */
  flip?: boolean;
}

/** Trains a tiny MLP and stores it as `model`/`version`. */
export async function storeTinyVersion(store: ModelStore, model: string, version: string, options: TinyVersionOptions): Promise<void> {
  const { tf, backend } = await loadTf();
  const flip = options.flip ?? false;
  const examples: LabelledExample[] = TINY_ROWS.map((features, i) => ({ id: `e${i}`, time: i, features, label: label(features, flip) }));
  const spec = inferFeatureSpec(TINY_ROWS);
  const set = encodeExamples(spec, CLASSES, examples);
  const network = buildNetwork(tf, { inputWidth: spec.width, classCount: CLASSES.length, hiddenUnits: [8], learningRate: 0.05, l2: 0, seed: options.seed });
  const x = tf.tensor2d(set.x, [set.rows, set.width]);
  const y = tf.oneHot(tf.tensor1d(set.y, 'int32'), CLASSES.length);
  await network.fit(x, y, { epochs: 40, batchSize: 32, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
  const artifacts = await modelToArtifacts(network);
  disposeNetwork(network);
  await store.put(manifestFor(model, version, { spec, artifacts, backend, parentVersion: options.parentVersion ?? null }), new Map([
    ['model.json', artifacts.modelJson],
    ['weights.bin', artifacts.weights],
  ]));
}

function manifestFor(
  model: string,
  version: string,
  parts: { spec: FeatureSpec; artifacts: ModelArtifacts; backend: string; parentVersion: string | null },
): Omit<ModelManifest, 'files'> {
  const range = { size: TINY_ROWS.length, from: 0, to: TINY_ROWS.length - 1 };
  return {
    model,
    version,
    parentVersion: parts.parentVersion,
    task: 'classification',
    classes: CLASSES,
    featureSpec: parts.spec,
    trainingProfile: [
      { feature: 'plan', type: 'CATEGORICAL', binEdges: [], counts: [], categories: { pro: 100, free: 100 }, missing: 0 },
      { feature: 'spend', type: 'NUMERIC', binEdges: [-2, 0, 2], counts: [100, 100], categories: {}, missing: 0 },
    ],
    split: { train: range, validation: range, test: range },
    metrics: { train: {}, validation: {}, test: {} },
    hyperparameters: { learningRate: 0.05, epochs: 40 },
    search: [],
    backend: parts.backend,
    createdAt: Date.now(),
    variants: [],
  };
}

/** Flips one byte in the middle of a stored file, behind the store's back. */
export async function corruptFile(storeDir: string, model: string, version: string, path: string): Promise<void> {
  const handle = await open(join(storeDir, model, version, path), 'r+');
  try {
    const { size } = await handle.stat();
    const at = Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}
