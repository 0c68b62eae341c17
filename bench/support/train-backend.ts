// One backend's training speed, in its own process (tfjs picks its backend once per process):
// `node --import tsx bench/support/train-backend.ts <tfjs-node|wasm|cpu> <examples>`.
// Runs the retrain's gridSearch (default grid, from scratch) on concept-B examples and prints
// one line `RESULT {json}`; a backend that cannot load prints `RESULT {"error": ...}`.
import { DEFAULT_RETRAIN_POLICY } from '../../shared/config/monitoring-config.js';
import { inferFeatureSpec } from '../../shared/learning/feature-spec.js';
import { gridSearch } from '../../shared/learning/grid-search.js';
import { disposeNetwork } from '../../shared/learning/network.js';
import { timeOrderedSplit } from '../../shared/learning/split.js';
import { loadTf, type TfBackend } from '../../shared/learning/tf.js';
import { CONCEPT_B, conceptExamples } from './retrain-data.js';

const backend = process.argv[2] as TfBackend;
const n = Number(process.argv[3] ?? 10_000);
const policy = DEFAULT_RETRAIN_POLICY;

try {
  await loadTf({ backend });
} catch (error) {
  console.log(`RESULT ${JSON.stringify({ backend, error: (error as Error).message })}`);
  process.exit(0);
}
const examples = conceptExamples(CONCEPT_B, n, 21);
const split = timeOrderedSplit(examples, policy.split);
const spec = inferFeatureSpec(split.train.map((e) => e.features));
const started = performance.now();
const search = await gridSearch({
  spec,
  classes: ['0', '1'],
  train: split.train,
  validation: split.validation,
  grid: policy.grid,
  metric: policy.metric,
  batchSize: policy.batchSize,
  patience: policy.patience,
  seed: policy.seed,
});
const wallSeconds = (performance.now() - started) / 1000;
disposeNetwork(search.best.model);
// One run per (learning rate, L2); its longest checkpoint row holds the run's epochs and time.
const runs = new Map<string, { epochs: number; seconds: number }>();
for (const row of search.table) {
  const key = `${row.learningRate}|${row.l2}`;
  const run = runs.get(key) ?? { epochs: 0, seconds: 0 };
  runs.set(key, { epochs: Math.max(run.epochs, row.stoppedEpoch), seconds: Math.max(run.seconds, row.seconds) });
}
const epochs = [...runs.values()].reduce((s, r) => s + r.epochs, 0);
const fitSeconds = [...runs.values()].reduce((s, r) => s + r.seconds, 0);
console.log(
  `RESULT ${JSON.stringify({
    backend,
    trainRows: split.train.length,
    validationRows: split.validation.length,
    runs: runs.size,
    epochs,
    fitSeconds,
    wallSeconds,
    examplesPerSecond: (split.train.length * epochs) / fitSeconds,
    validationMetric: search.best.row.validationMetric,
  })}`,
);
