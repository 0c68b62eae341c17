// The seam between the `driftwatch replay` command (file parsing, progress bar, writing
// the report) and the embedded services that do the monitoring. The CLI loads the
// implementation from services/embedded/replay.ts (`export const runReplay: RunReplay`).
import type { LabelRecord, PredictionRecord } from '../sdk/records.js';
import type { Report } from './types.js';

/**
 * Records in file order. A replay may read both streams concurrently. Iterating may throw
 * (the CLI's readers throw an InputError naming file and line for an invalid record): a
 * replay should let that error reject its promise unchanged.
 */
export type RecordSource<T> = AsyncIterable<T> | Iterable<T>;

export interface ReplayProgress {
  /** What the replay is doing, e.g. "replaying", "evaluating", "done". */
  stage: string;
  predictions: number;
  labels: number;
}

export interface ReplayInput {
  predictions: RecordSource<PredictionRecord>;
  labels: RecordSource<LabelRecord>;
  /** Path of a monitoring config file (JSON or YAML); without it, defaults are inferred. */
  config?: string;
  /** Names of the inputs, recorded in the report's run info. */
  sources?: { predictions?: string; labels?: string };
  /** Called as the replay advances; cheap to call often (the CLI throttles rendering). */
  onProgress?: (progress: ReplayProgress) => void;
  /** Aborted when the user interrupts the command; the replay should stop reading and reject. */
  signal?: AbortSignal;
}

export type RunReplay = (input: ReplayInput) => Promise<Report>;
