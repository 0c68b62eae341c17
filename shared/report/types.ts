// What `driftwatch replay` produces (report.json) and renders (report.html). The window
// and alert shapes are the ones the services publish (MetricsSnapshot, Alert events), so
// a report is the metrics and alerts topics of a run, collected and grouped by model.
import type { Alert, ColumnDrift } from '../codec/index.js';

export const REPORT_FORMAT = 'driftwatch-report/1';

export interface Report {
  format: typeof REPORT_FORMAT;
  run: RunInfo;
  models: ModelReport[];
}

export interface RunInfo {
  /** Wall-clock time the report was written (ms since the epoch). */
  generatedAt: number;
  /** Wall-clock duration of the replay. */
  durationMs: number;
  inputs: { predictions: string | null; labels: string | null; config: string | null };
  counts: {
    predictions: number;
    labels: number;
    /** Records refused (invalid events), by reason. */
    deadLetters: Record<string, number>;
  };
  /** Smallest and largest event time seen, or null for an empty input. */
  eventTime: { start: number; end: number } | null;
  /** Free-form remarks (e.g. "model churn: no config, defaults inferred"). */
  notes: string[];
}

export interface ModelReport {
  model: string;
  /** Versions seen, in order of first appearance. */
  versions: string[];
  /**
   * One entry per evaluation per horizon, ordered by window end then horizon. Performance
   * and drift are evaluated by different services, so the same (version, horizon, end) may
   * appear twice, once with metrics and once with drift; readers merge them.
   */
  windows: WindowReport[];
  /** Every alert transition, in the order published (the HTML sorts them by event time). */
  alerts: Alert[];
  /**
   * The horizon the alert rules judge (the model's evaluationHorizon); the HTML opens its
   * section. Absent in reports written before it existed: the shortest horizon is opened.
   */
  evaluationHorizon?: string;
  /**
   * The smallest window (predictions) the drift rules judge, per drift entry name: a feature,
   * or the name the drift service gives prediction drift; `*` for every other feature. A
   * window below it gets no drift verdict, so the HTML does not draw one. Absent: 0.
   */
  driftMinCount?: Record<string, number>;
}

export interface WindowReport {
  modelVersion: string;
  /** Horizon name as published, e.g. "5m". */
  horizon: string;
  horizonMs: number;
  /** [start, end) in event time, and the number of predictions in it. */
  window: { start: number; end: number; count: number };
  /** Labelled share of the window's predictions; null for a drift-only evaluation. */
  labelCoverage: number | null;
  /** Performance metrics by name (accuracy, f1, f1_macro, ...); empty without labels. */
  metrics: Record<string, number>;
  /** Drift per feature; prediction drift is one more entry, under the name the drift service gives it. */
  drift: ColumnDrift[];
}

export type { Alert as ReportAlert, ColumnDrift as ReportColumnDrift } from '../codec/index.js';
