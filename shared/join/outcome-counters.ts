// What one joined outcome adds to its `perf:<version>` bucket, rendered straight into the
// batch's deltas: the counters of ConfusionMatrix.update(true, predicted, probabilities) for a
// classifier, RegressionSums' terms for a regressor. The formulas stay in shared/stats/window.
import { joinField } from '../stats/window/counters.js';
import { DEFAULT_SCORE_BINS, probabilityTerms, scoreBin } from '../stats/window/confusion-matrix.js';
import { regressionCounters, regressionTerms } from '../stats/window/regression-sums.js';

export type AddCounter = (field: string, by: number) => void;

export function classificationCounters(
  trueClass: string,
  predictedClass: string,
  probabilities: Readonly<Record<string, number>> | null,
  add: AddCounter,
  scoreBins: number = DEFAULT_SCORE_BINS,
): void {
  add(joinField('c', trueClass, predictedClass), 1);
  if (probabilities === null) return;
  const terms = probabilityTerms(trueClass, probabilities, (label, score, positive) => {
    add(joinField(positive ? 'sp' : 'sn', label, String(scoreBin(score, scoreBins))), 1);
  });
  add('pn', 1);
  add('~ll', terms.logLoss);
  add('~bs', terms.brier);
}

/** Throws, adding nothing, when a term overflows (values near 1e155 and beyond square to Infinity). */
export function regressionOutcomeCounters(trueValue: number, predictedValue: number, add: AddCounter): void {
  const counters = regressionCounters(regressionTerms(trueValue, predictedValue));
  for (const [field, by] of counters) {
    if (!Number.isFinite(by)) throw new RangeError(`outcome of true value ${trueValue} and prediction ${predictedValue}: ${field} is not finite`);
  }
  for (const [field, by] of counters) add(field, by);
}
