// The incident's diagnosis: what changed between before the drift and during it, computed from
// the joined examples the retrain read from the log. The champion's own logged predictions
// say how it performed, so the diagnosis needs no model and no tfjs.
import { detectColumnDrift } from '../stats/drift/column-drift.js';
import type { ColumnType, RawValue } from '../stats/drift/types.js';
import { accuracy, averagedScores, balancedAccuracy, perClassScores } from '../stats/metrics/classification.js';
import { ConfusionMatrix } from '../stats/window/confusion-matrix.js';

export type PromotionMetric = 'accuracy' | 'f1_macro' | 'balanced_accuracy';

/** What the diagnosis needs of a joined example. */
export interface DiagnosedExample {
  time: number;
  features: Record<string, number | string | boolean | null>;
  /** The class the serving model predicted (from the prediction event). */
  predictedClass: string | null;
  label: string;
}

export interface FeatureDriftFinding {
  feature: string;
  stat: string;
  value: number;
  threshold: number;
  drifted: boolean;
}

export interface ClassFinding {
  label: string;
  recallBefore: number | null;
  recallDuring: number | null;
  precisionBefore: number | null;
  precisionDuring: number | null;
  supportBefore: number;
  supportDuring: number;
}

export interface Diagnosis {
  driftedFeatures: FeatureDriftFinding[];
  predictionDrift: FeatureDriftFinding | null;
  perClass: ClassFinding[];
  metricBefore: number | null;
  metricDuring: number | null;
  labelCoverage: number | null;
  driftStart: number | null;
}

export interface DiagnosisInput {
  examples: readonly DiagnosedExample[];
  /** Event time the drift started (the trigger's window start); null for a manual retrain. */
  driftStart: number | null;
  metric: PromotionMetric;
  /** Predictions seen in the drift period, labelled or not, for the label coverage. */
  predictionsDuring: number;
  /** How many features to list, most drifted first. */
  topFeatures?: number;
}

/** The promotion metric of a confusion matrix; one place maps the metric's name to its formula. */
export function metricOf(cm: ConfusionMatrix, metric: PromotionMetric): number {
  switch (metric) {
    case 'accuracy':
      return accuracy(cm);
    case 'f1_macro':
      return averagedScores(cm, 'macro').f1;
    case 'balanced_accuracy':
      return balancedAccuracy(cm);
  }
}

export function diagnose(input: DiagnosisInput): Diagnosis {
  const { examples, driftStart, metric } = input;
  const before = driftStart === null ? [] : examples.filter((e) => e.time < driftStart);
  const during = driftStart === null ? [...examples] : examples.filter((e) => e.time >= driftStart);
  const cmBefore = confusion(before);
  const cmDuring = confusion(during);
  return {
    driftedFeatures: before.length > 0 && during.length > 0 ? featureDrift(before, during).slice(0, input.topFeatures ?? 10) : [],
    predictionDrift: before.length > 0 && during.length > 0 ? predictionDrift(before, during) : null,
    perClass: classFindings(cmBefore, cmDuring),
    metricBefore: cmBefore.count > 0 ? metricOf(cmBefore, metric) : null,
    metricDuring: cmDuring.count > 0 ? metricOf(cmDuring, metric) : null,
    labelCoverage: input.predictionsDuring > 0 ? during.length / input.predictionsDuring : null,
    driftStart,
  };
}

function confusion(examples: readonly DiagnosedExample[]): ConfusionMatrix {
  const cm = new ConfusionMatrix();
  for (const e of examples) if (e.predictedClass !== null) cm.update(e.label, e.predictedClass);
  return cm;
}

/** Every feature's drift test (Evidently's default per column), most drifted first. */
function featureDrift(before: readonly DiagnosedExample[], during: readonly DiagnosedExample[]): FeatureDriftFinding[] {
  const names = new Set<string>();
  for (const e of [before[0]!, during[0]!]) for (const name of Object.keys(e.features)) names.add(name);
  const findings: FeatureDriftFinding[] = [];
  for (const feature of [...names].sort()) {
    const reference = present(before.map((e) => e.features[feature]));
    const current = present(during.map((e) => e.features[feature]));
    if (reference.length === 0 || current.length === 0) continue;
    findings.push(finding(feature, reference, current));
  }
  return findings.sort((a, b) => severity(b) - severity(a));
}

function predictionDrift(before: readonly DiagnosedExample[], during: readonly DiagnosedExample[]): FeatureDriftFinding | null {
  const reference = present(before.map((e) => e.predictedClass));
  const current = present(during.map((e) => e.predictedClass));
  if (reference.length === 0 || current.length === 0) return null;
  return finding('prediction', reference, current, 'categorical');
}

function finding(feature: string, reference: RawValue[], current: RawValue[], type?: ColumnType): FeatureDriftFinding {
  const columnType = type ?? (typeof reference[0] === 'number' ? 'numerical' : 'categorical');
  const result = detectColumnDrift({ columnType, reference, current });
  return { feature, stat: result.statistic, value: result.value, threshold: result.threshold, drifted: result.drifted };
}

/** How far past its threshold a statistic is, comparable across distance and p-value tests. */
function severity(f: FeatureDriftFinding): number {
  const isPValue = f.stat === 'ks' || f.stat === 'chisquare' || f.stat === 'z';
  const ratio = isPValue ? f.threshold / Math.max(f.value, 1e-300) : f.value / f.threshold;
  return (f.drifted ? 1e6 : 0) + Math.min(ratio, 1e5);
}

function present(values: readonly (number | string | boolean | null | undefined)[]): RawValue[] {
  return values.filter((v): v is RawValue => v !== null && v !== undefined && (typeof v !== 'number' || Number.isFinite(v)));
}

function classFindings(before: ConfusionMatrix, during: ConfusionMatrix): ClassFinding[] {
  const labels = [...new Set([...before.labels(), ...during.labels()])].sort();
  const scoresBefore = new Map(perClassScores(before, labels).map((s) => [s.label, s]));
  const scoresDuring = new Map(perClassScores(during, labels).map((s) => [s.label, s]));
  return labels.map((label) => {
    const b = scoresBefore.get(label)!;
    const d = scoresDuring.get(label)!;
    return {
      label,
      recallBefore: before.count > 0 ? b.recall : null,
      recallDuring: during.count > 0 ? d.recall : null,
      precisionBefore: before.count > 0 ? b.precision : null,
      precisionDuring: during.count > 0 ? d.precision : null,
      supportBefore: b.support,
      supportDuring: d.support,
    };
  });
}
