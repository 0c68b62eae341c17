// Performance metrics of one window from the `perf:` and `cov:` family sums.
import type { Task } from '../config/monitoring-config.js';
import { regressionReport } from '../stats/metrics/regression.js';
import { classificationReport } from '../stats/metrics/report.js';
import { ConfusionMatrix } from '../stats/window/confusion-matrix.js';
import type { CounterInput } from '../stats/window/counters.js';
import { toNumber } from '../stats/window/counters.js';
import { RegressionSums } from '../stats/window/regression-sums.js';

export const perfFamily = (version: string): string => `perf:${version}`;
export const covFamily = (version: string): string => `cov:${version}`;

/** `cov:` fields: predictions seen and predictions joined with a label. */
export const COVERAGE_FIELDS = { predictions: 'n', labelled: 'l' } as const;

export interface PerformanceOptions {
  /** Binary task: the class whose precision/recall/F1/ROC AUC are reported as precision, recall, f1, roc_auc. */
  positiveLabel?: string;
  /** Classes to report and average over (sklearn's `labels`); default: those in the window. */
  labels?: readonly string[];
  /** Must match the writer's ConfusionMatrix scoreBins. */
  scoreBins?: number;
}

/**
 * Every metric an alert rule can name (see PERFORMANCE_METRICS), plus `count` (labelled
 * predictions in the window), `predictions` and `label_coverage` = labelled / predictions.
 * precision / recall / f1 are the positive label's for a binary task with one, else the
 * macro averages. An empty window gives NaN metrics and count 0.
 */
export function performanceMetrics(task: Task, perf: CounterInput, coverage: CounterInput, options: PerformanceOptions = {}): Record<string, number> {
  const n = coverage[COVERAGE_FIELDS.predictions];
  const l = coverage[COVERAGE_FIELDS.labelled];
  const predictions = n === undefined ? 0 : toNumber('n', n);
  const labelled = l === undefined ? 0 : toNumber('l', l);
  const out: Record<string, number> = {
    predictions,
    label_coverage: predictions > 0 ? labelled / predictions : Number.NaN,
  };
  if (task === 'regression') {
    const r = regressionReport(RegressionSums.fromCounters(perf));
    return { ...out, count: r.count, mae: r.mae, rmse: r.rmse, mape: r.mape, r2: r.r2 };
  }
  const cm = ConfusionMatrix.fromCounters(perf, options.scoreBins === undefined ? {} : { scoreBins: options.scoreBins });
  const positive = task === 'binary' ? options.positiveLabel : undefined;
  const reportOptions: Parameters<typeof classificationReport>[1] = {};
  if (options.labels) reportOptions.labels = options.labels;
  if (positive !== undefined) reportOptions.positiveLabel = positive;
  const r = classificationReport(cm, reportOptions);
  const headline = r.binary ?? r.macro;
  Object.assign(out, {
    count: r.count,
    accuracy: r.accuracy,
    balanced_accuracy: r.balancedAccuracy,
    precision: headline.precision,
    recall: headline.recall,
    f1: headline.f1,
    precision_macro: r.macro.precision,
    recall_macro: r.macro.recall,
    f1_macro: r.macro.f1,
    precision_micro: r.micro.precision,
    recall_micro: r.micro.recall,
    f1_micro: r.micro.f1,
    precision_weighted: r.weighted.precision,
    recall_weighted: r.weighted.recall,
    f1_weighted: r.weighted.f1,
  });
  if (r.probability) {
    out.probability_count = r.probability.count;
    out.log_loss = r.probability.logLoss;
    out.brier = r.probability.brier;
    if (r.probability.rocAuc !== undefined) out.roc_auc = r.probability.rocAuc;
    if (r.probability.rocAucOvrMacro !== undefined) out.roc_auc_ovr = r.probability.rocAucOvrMacro;
  }
  return out;
}
