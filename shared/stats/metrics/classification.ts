import type { ConfusionMatrix } from '../window/confusion-matrix.js';

/**
 * Classification metrics from a confusion matrix, matching scikit-learn.
 *
 * Conventions, stated once for every function here:
 * - Division by zero follows sklearn's `zero_division=0`: a precision with no predicted
 *   samples, a recall with no true samples, an F1 with neither, and a weighted average
 *   whose supports are all zero are 0.
 * - An empty window (count 0) has no metrics: every value is NaN. (sklearn raises on empty
 *   input; callers report `count: 0` beside NaN and skip alerting on it.)
 * - `labels` works like sklearn's: the classes to report and average over, in that
 *   order. Listed classes absent from the window still count in macro averages (with
 *   0 scores); unlisted classes are ignored by per-class and averaged scores, while
 *   accuracy always uses the whole matrix. Default: every label in the window, sorted.
 */

export interface PrfScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassScores extends PrfScores {
  label: string;
  /** Number of true samples of the class. */
  support: number;
}

export type Average = 'macro' | 'micro' | 'weighted';

interface Tally {
  label: string;
  truePositives: number;
  predicted: number;
  actual: number;
}

function divide(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function tallies(cm: ConfusionMatrix, labels: readonly string[]): Tally[] {
  const actual = new Map<string, number>();
  const predicted = new Map<string, number>();
  const diagonal = new Map<string, number>();
  cm.forEachCell((t, p, n) => {
    actual.set(t, (actual.get(t) ?? 0) + n);
    predicted.set(p, (predicted.get(p) ?? 0) + n);
    if (t === p) diagonal.set(t, n);
  });
  return labels.map((label) => ({
    label,
    truePositives: diagonal.get(label) ?? 0,
    predicted: predicted.get(label) ?? 0,
    actual: actual.get(label) ?? 0,
  }));
}

function scoresOf(t: Tally): ClassScores {
  return {
    label: t.label,
    precision: divide(t.truePositives, t.predicted),
    recall: divide(t.truePositives, t.actual),
    // sklearn's F-beta from counts, (1+β²)·tp / (β²·actual + predicted), not from P and R.
    f1: divide(2 * t.truePositives, t.actual + t.predicted),
    support: t.actual,
  };
}

const NO_SCORES: PrfScores = { precision: Number.NaN, recall: Number.NaN, f1: Number.NaN };

export function accuracy(cm: ConfusionMatrix): number {
  if (cm.count === 0) return Number.NaN;
  let correct = 0;
  cm.forEachCell((t, p, n) => {
    if (t === p) correct += n;
  });
  return correct / cm.count;
}

export function perClassScores(cm: ConfusionMatrix, labels: readonly string[] = cm.labels()): ClassScores[] {
  if (cm.count === 0) return labels.map((label) => ({ label, ...NO_SCORES, support: 0 }));
  return tallies(cm, labels).map(scoresOf);
}

export function averagedScores(cm: ConfusionMatrix, average: Average, labels: readonly string[] = cm.labels()): PrfScores {
  if (cm.count === 0 || labels.length === 0) return { ...NO_SCORES };
  const counts = tallies(cm, labels);
  if (average === 'micro') {
    let tp = 0;
    let predicted = 0;
    let actual = 0;
    for (const t of counts) {
      tp += t.truePositives;
      predicted += t.predicted;
      actual += t.actual;
    }
    return { precision: divide(tp, predicted), recall: divide(tp, actual), f1: divide(2 * tp, predicted + actual) };
  }
  const scores = counts.map(scoresOf);
  const weights = average === 'weighted' ? scores.map((s) => s.support) : scores.map(() => 1);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const mean = (pick: (s: ClassScores) => number): number =>
    divide(scores.reduce((acc, s, i) => acc + pick(s) * (weights[i] as number), 0), totalWeight);
  return { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) };
}

/** sklearn's average='binary': the scores of `positiveLabel` alone. */
export function binaryScores(cm: ConfusionMatrix, positiveLabel: string): PrfScores {
  const [scores] = perClassScores(cm, [positiveLabel]);
  const { precision, recall, f1 } = scores as ClassScores;
  return { precision, recall, f1 };
}

/**
 * Mean recall over the classes that have true samples, as sklearn's
 * balanced_accuracy_score (classes only ever predicted are left out, not counted as 0).
 */
export function balancedAccuracy(cm: ConfusionMatrix): number {
  if (cm.count === 0) return Number.NaN;
  const recalls = tallies(cm, cm.labels())
    .filter((t) => t.actual > 0)
    .map((t) => t.truePositives / t.actual);
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}
