// Scores a classifier through shared/stats, the same formulas the monitors report with,
// so a retrain's test metrics and the live metrics mean the same thing.
import { averagedScores, accuracy, balancedAccuracy } from '../stats/metrics/classification.js';
import { logLoss } from '../stats/metrics/probabilistic.js';
import { ConfusionMatrix } from '../stats/window/confusion-matrix.js';
import type { LabelledExample } from './example.js';
import { encodeRows, type FeatureSpec } from './feature-spec.js';
import { loadTf, type LayersModel, type Tensor, type Tf } from './tf.js';

export type ScoreMetric = 'accuracy' | 'f1_macro' | 'balanced_accuracy';

export interface ClassificationMetrics {
  accuracy: number;
  f1_macro: number;
  balanced_accuracy: number;
  log_loss: number;
  count: number;
  [name: string]: number;
}

export interface Scored {
  metrics: ClassificationMetrics;
  /** metrics[metric], the one the caller ranks by. */
  value: number;
  /** Predicted class per example, in input order (for parity checks between variants). */
  predicted: string[];
}

/** Class probabilities, row-major rows × classes, of `rows` already encoded. */
export function predictProbabilities(tf: Tf, model: LayersModel, encoded: Float32Array, width: number): Float32Array {
  const rows = encoded.length / width;
  if (rows === 0) return new Float32Array(0);
  return tf.tidy(() => {
    const x = tf.tensor2d(encoded, [rows, width]);
    return (model.predict(x) as Tensor).dataSync() as Float32Array;
  });
}

/** Index of the largest probability of row `i`; ties go to the earlier class, like argmax. */
export function argmaxRow(probabilities: Float32Array, i: number, classCount: number): number {
  let best = 0;
  let bestP = -Infinity;
  for (let k = 0; k < classCount; k++) {
    const p = probabilities[i * classCount + k] as number;
    if (p > bestP) {
      bestP = p;
      best = k;
    }
  }
  return best;
}

/** Metrics of probabilities against labels. A diverged network (NaN outputs) scores NaN, never throws. */
export function scoreProbabilities(probabilities: Float32Array, classes: readonly string[], labels: readonly string[], metric: ScoreMetric): Scored {
  const k = classes.length;
  const cm = new ConfusionMatrix();
  const predicted = new Array<string>(labels.length);
  let finite = true;
  labels.forEach((label, i) => {
    const cls = classes[argmaxRow(probabilities, i, k)] as string;
    predicted[i] = cls;
    const map: Record<string, number> = {};
    for (let c = 0; c < k; c++) {
      // float32 softmax can overshoot 1 by an ulp; the matrix insists on [0, 1].
      const p = probabilities[i * k + c] as number;
      if (!Number.isFinite(p)) finite = false;
      map[classes[c] as string] = Math.min(Math.max(p, 0), 1);
    }
    cm.update(label, cls, finite ? map : null);
  });
  const metrics: ClassificationMetrics = {
    accuracy: accuracy(cm),
    f1_macro: averagedScores(cm, 'macro').f1,
    balanced_accuracy: balancedAccuracy(cm),
    log_loss: finite ? logLoss(cm) : Number.NaN,
    count: cm.count,
  };
  return { metrics, value: metrics[metric], predicted };
}

/** Scores `model` on `examples` (e.g. champion and challenger on the same test split). */
export async function scoreModel(model: LayersModel, spec: FeatureSpec, classes: readonly string[], examples: readonly LabelledExample[], metric: ScoreMetric): Promise<Scored> {
  const { tf } = await loadTf();
  const encoded = encodeRows(spec, examples.map((e) => e.features));
  const probabilities = predictProbabilities(tf, model, encoded, spec.width);
  return scoreProbabilities(probabilities, classes, examples.map((e) => e.label), metric);
}
