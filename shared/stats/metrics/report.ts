import type { ConfusionMatrix } from '../window/confusion-matrix.js';
import type { ClassScores, PrfScores } from './classification.js';
import { accuracy, averagedScores, balancedAccuracy, binaryScores, perClassScores } from './classification.js';
import { brierScore, logLoss, rocAuc, rocAucOneVsRest } from './probabilistic.js';

export interface ClassificationReportOptions {
  /** Classes to report and average over (sklearn's `labels`); default: all in the window. */
  labels?: readonly string[];
  /** Adds sklearn's average='binary' scores and the binary ROC AUC of this class. */
  positiveLabel?: string;
}

export interface ProbabilityReport {
  /** Samples that carried probabilities; the metrics below are over these only. */
  count: number;
  logLoss: number;
  brier: number;
  /** Binary AUC of the positive label, when one is given. */
  rocAuc?: number;
  /** One-vs-rest macro AUC, when there are more than two classes. */
  rocAucOvrMacro?: number;
}

export interface ClassificationReport {
  count: number;
  labels: string[];
  accuracy: number;
  balancedAccuracy: number;
  perClass: ClassScores[];
  macro: PrfScores;
  micro: PrfScores;
  weighted: PrfScores;
  binary?: PrfScores;
  probability?: ProbabilityReport;
}

/** Every classification metric of one window state (conventions: see classification.ts). */
export function classificationReport(cm: ConfusionMatrix, options: ClassificationReportOptions = {}): ClassificationReport {
  const labels = options.labels ? [...options.labels] : cm.labels();
  const report: ClassificationReport = {
    count: cm.count,
    labels,
    accuracy: accuracy(cm),
    balancedAccuracy: balancedAccuracy(cm),
    perClass: perClassScores(cm, labels),
    macro: averagedScores(cm, 'macro', labels),
    micro: averagedScores(cm, 'micro', labels),
    weighted: averagedScores(cm, 'weighted', labels),
  };
  if (options.positiveLabel !== undefined) report.binary = binaryScores(cm, options.positiveLabel);
  if (cm.probabilityCount > 0) {
    const scoreClasses = options.labels ? labels : cm.scoreClasses();
    const probability: ProbabilityReport = {
      count: cm.probabilityCount,
      logLoss: logLoss(cm),
      brier: brierScore(cm, scoreClasses),
    };
    if (options.positiveLabel !== undefined) probability.rocAuc = rocAuc(cm, options.positiveLabel);
    if (scoreClasses.length > 2) probability.rocAucOvrMacro = rocAucOneVsRest(cm, scoreClasses);
    report.probability = probability;
  }
  return report;
}
