// Fits a network with early stopping on validation loss. The loop is ours rather than
// model.fit's callbacks for two reasons: tfjs shuffles with Math.random (we shuffle with a
// seeded permutation per epoch, so a run is reproducible and a run read at epoch e equals a
// run of e epochs), and its EarlyStopping callback cannot restore the best weights.
import { seededRandom } from '../stats/window/random.js';
import type { LabelledExample } from './example.js';
import { encodeRows, type FeatureSpec } from './feature-spec.js';
import { predictProbabilities, scoreProbabilities, type ScoreMetric, type Scored } from './scoring.js';
import type { LayersModel, Tensor, Tf } from './tf.js';

/** Examples encoded once for a whole search. */
export interface EncodedSet {
  /** rows × spec.width, row-major. */
  x: Float32Array;
  /** Class index per row. */
  y: Int32Array;
  labels: string[];
  rows: number;
  width: number;
}

export function encodeExamples(spec: FeatureSpec, classes: readonly string[], examples: readonly LabelledExample[]): EncodedSet {
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = new Int32Array(examples.length);
  examples.forEach((e, i) => {
    const k = index.get(e.label);
    if (k === undefined) throw new RangeError(`example ${e.id} has label ${JSON.stringify(e.label)}, not one of the classes ${classes.join(', ')}`);
    y[i] = k;
  });
  return { x: encodeRows(spec, examples.map((e) => e.features)), y, labels: examples.map((e) => e.label), rows: examples.length, width: spec.width };
}

export interface EpochState {
  /** Epochs trained so far. */
  epoch: number;
  /** Best validation state among epochs 1..epoch (what the model restores to). */
  best: { epoch: number; loss: number; score: Scored };
  /** Early stopping ended the run at this epoch. */
  stopped: boolean;
  seconds: number;
}

export interface FitOptions {
  classes: readonly string[];
  maxEpochs: number;
  batchSize: number;
  /** Epochs without a validation-loss improvement before stopping. */
  patience: number;
  seed: number;
  metric: ScoreMetric;
  /**
   * Called after every epoch with the model holding its latest weights; `bestWeights` are
   * the best-so-far weights (valid only during the call: clone what you keep).
   */
  onEpoch?: (state: EpochState, bestWeights: readonly Tensor[]) => void;
}

export interface FitResult {
  epochsRun: number;
  bestEpoch: number;
  bestValidationLoss: number;
  bestValidation: Scored;
  /** Validation loss of the weights training started from (a parent's, when fine-tuning). */
  initialValidationLoss: number;
  stoppedEarly: boolean;
  seconds: number;
}

/** Trains `model` in place and leaves it holding the weights of its best validation loss. */
export async function fitWithEarlyStopping(tf: Tf, model: LayersModel, train: EncodedSet, validation: EncodedSet, options: FitOptions): Promise<FitResult> {
  const { classes, maxEpochs, batchSize, patience, seed, metric } = options;
  if (train.rows === 0 || validation.rows === 0) throw new RangeError('training and validation sets must not be empty');
  const started = performance.now();
  const evaluate = (): Scored => {
    const probabilities = predictProbabilities(tf, model, validation.x, validation.width);
    return scoreProbabilities(probabilities, classes, validation.labels, metric);
  };
  const initialValidationLoss = lossOf(evaluate());
  const x = tf.tensor2d(train.x, [train.rows, train.width]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(train.y, 'int32'), classes.length).toFloat());
  let best: EpochState['best'] | null = null;
  let bestWeights: Tensor[] = [];
  let epoch = 0;
  let stopped = false;
  try {
    while (epoch < maxEpochs && !stopped) {
      epoch += 1;
      await fitOneEpoch(tf, model, x, y, batchSize, seed + epoch);
      const score = evaluate();
      const loss = lossOf(score);
      if (best === null || loss < best.loss) {
        best = { epoch, loss, score };
        for (const w of bestWeights) w.dispose();
        bestWeights = model.getWeights().map((w) => w.clone());
      } else if (epoch - best.epoch >= patience) stopped = true;
      options.onEpoch?.({ epoch, best, stopped, seconds: (performance.now() - started) / 1000 }, bestWeights);
    }
    const finalBest = best as EpochState['best'];
    model.setWeights(bestWeights);
    return {
      epochsRun: epoch,
      bestEpoch: finalBest.epoch,
      bestValidationLoss: finalBest.loss,
      bestValidation: finalBest.score,
      initialValidationLoss,
      stoppedEarly: stopped,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    for (const w of bestWeights) w.dispose();
    x.dispose();
    y.dispose();
  }
}

/** Log loss, with a diverged network (NaN probabilities) as the worst possible loss. */
function lossOf(score: Scored): number {
  const loss = score.metrics.log_loss;
  return Number.isFinite(loss) ? loss : Number.POSITIVE_INFINITY;
}

async function fitOneEpoch(tf: Tf, model: LayersModel, x: Tensor, y: Tensor, batchSize: number, seed: number): Promise<void> {
  const rows = x.shape[0] as number;
  const order = tf.tensor1d(seededPermutation(rows, seed), 'int32');
  const xs = tf.gather(x, order);
  const ys = tf.gather(y, order);
  try {
    await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
  } finally {
    order.dispose();
    xs.dispose();
    ys.dispose();
  }
}

/** Fisher–Yates over 0..n-1 from a seeded generator. */
export function seededPermutation(n: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i] as number;
    out[i] = out[j] as number;
    out[j] = t;
  }
  return out;
}
