import type { ConfusionMatrix } from '../window/confusion-matrix.js';

/**
 * Probability-based metrics over the samples of a window that carried class
 * probabilities (`cm.probabilityCount`); NaN when there are none.
 */

/** Mean log loss, sklearn's log_loss (probabilities clipped to [eps, 1 − eps], no renormalisation). */
export function logLoss(cm: ConfusionMatrix): number {
  return cm.probabilityCount === 0 ? Number.NaN : cm.logLossSum / cm.probabilityCount;
}

/**
 * sklearn's brier_score_loss with scale_by_half="auto": the mean over samples of
 * Σ_k (p_k − y_k)² across all classes, halved when there are fewer than three classes.
 * For two classes whose probabilities sum to one this is the familiar binary
 * mean((p_positive − y)²); for more it is the multi-class Brier score, in [0, 2].
 * The class count is `labels.length` when given, else the classes seen in probabilities.
 */
export function brierScore(cm: ConfusionMatrix, labels?: readonly string[]): number {
  if (cm.probabilityCount === 0) return Number.NaN;
  const classes = labels?.length ?? cm.scoreClasses().length;
  return (cm.brierSum / cm.probabilityCount) * (classes < 3 ? 0.5 : 1);
}

/**
 * Binary ROC AUC of `positiveLabel` against the rest, from the binned scores: the chance
 * that a positive outranks a negative, ties counting one half, which is the area sklearn's
 * roc_auc_score integrates. Exact when scores lie on the bin grid. NaN when the window has
 * no positive or no negative sample (sklearn: undefined).
 */
export function rocAuc(cm: ConfusionMatrix, positiveLabel: string): number {
  if (cm.probabilityCount === 0) return Number.NaN;
  const { positives, negatives } = cm.scoreHistogram(positiveLabel);
  let positiveTotal = 0;
  let negativeTotal = 0;
  let pairsWon = 0;
  for (let k = 0; k < positives.length; k++) {
    const pos = positives[k] as number;
    const neg = negatives[k] as number;
    // negativeTotal holds the negatives scored strictly below bin k at this point.
    pairsWon += pos * (negativeTotal + 0.5 * neg);
    positiveTotal += pos;
    negativeTotal += neg;
  }
  if (positiveTotal === 0 || negativeTotal === 0) return Number.NaN;
  return pairsWon / (positiveTotal * negativeTotal);
}

/**
 * One-vs-rest macro ROC AUC (sklearn multi_class="ovr", average="macro"): the mean of each
 * class's binary AUC. NaN when any class's AUC is undefined (sklearn raises there).
 */
export function rocAucOneVsRest(cm: ConfusionMatrix, labels: readonly string[] = cm.scoreClasses()): number {
  if (labels.length === 0) return Number.NaN;
  let total = 0;
  for (const label of labels) total += rocAuc(cm, label);
  return total / labels.length;
}
