// The error stream a concept-drift detector is fed: the outcomes of one closed event-time
// bucket, in time order bucket after bucket. Within a bucket the order of outcomes is not
// known (only its counters are), so misclassifications are spread evenly among the
// bucket's outcomes; a regression bucket contributes its mean absolute error per outcome.
import type { Task } from '../config/monitoring-config.js';
import type { CounterInput } from '../stats/window/counters.js';
import { ConfusionMatrix } from '../stats/window/confusion-matrix.js';
import { RegressionSums } from '../stats/window/regression-sums.js';

export function bucketErrors(task: Task, perf: CounterInput): number[] {
  if (task === 'regression') {
    const sums = RegressionSums.fromCounters(perf);
    if (sums.count === 0) return [];
    return new Array<number>(sums.count).fill(sums.sumAbsError / sums.count);
  }
  const matrix = ConfusionMatrix.fromCounters(perf);
  let wrong = 0;
  matrix.forEachCell((truth, predicted, count) => {
    if (truth !== predicted) wrong += count;
  });
  const n = matrix.count;
  const errors = new Array<number>(n);
  // Bresenham: the i-th outcome is an error when the running share of errors steps up.
  for (let i = 0; i < n; i++) errors[i] = Math.floor(((i + 1) * wrong) / n) - Math.floor((i * wrong) / n);
  return errors;
}
