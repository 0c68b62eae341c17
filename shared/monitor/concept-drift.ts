// Runs the configured concept-drift detector over the error stream of newly joined
// examples (0/1 misclassification, or |error| for regression), resuming from its stored state.
import type { ModelConfig } from '../config/monitoring-config.js';
import type { EvaluationInput } from '../monitor-state/types.js';
import type { DetectorState, DriftDetector } from '../stats/detectors/index.js';
import { ADWIN, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, PageHinkley, detectorFromJSON, updateAll } from '../stats/detectors/index.js';

export type DetectorConfig = ModelConfig['conceptDrift'];

const KINDS: Record<Exclude<DetectorConfig['detector'], 'none'>, { kind: string; create(options: object): DriftDetector }> = {
  adwin: { kind: 'ADWIN', create: (o) => new ADWIN(o) },
  ddm: { kind: 'DDM', create: (o) => new DDM(o) },
  eddm: { kind: 'EDDM', create: (o) => new EDDM(o) },
  hddm_a: { kind: 'HDDM_A', create: (o) => new HDDM_A(o) },
  hddm_w: { kind: 'HDDM_W', create: (o) => new HDDM_W(o) },
  page_hinkley: { kind: 'PageHinkley', create: (o) => new PageHinkley(o) },
  kswin: { kind: 'KSWIN', create: (o) => new KSWIN(o) },
};

export interface DetectorRun {
  /** JSON to store; null for detector 'none'. */
  state: string | null;
  /** The detector flagged drift at least once in this run. */
  drifted: boolean;
  /** Index in `errors` of the first detection, -1 when none. */
  index: number;
  detections: number;
  /** Errors fed in this run. */
  count: number;
}

/** The detector's own name (e.g. 'ADWIN'), for alerts; null for 'none'. */
export function detectorName(config: DetectorConfig): string | null {
  return config.detector === 'none' ? null : KINDS[config.detector].kind;
}

export function runDetector(stored: string | null, errors: readonly number[], config: DetectorConfig): DetectorRun {
  if (config.detector === 'none') return { state: null, drifted: false, index: -1, detections: 0, count: errors.length };
  const spec = KINDS[config.detector];
  let detector: DriftDetector | null = null;
  if (stored !== null) {
    const state = JSON.parse(stored) as DetectorState;
    // A config change to another detector starts afresh rather than resuming the wrong one.
    if (state.kind === spec.kind) detector = detectorFromJSON(state);
  }
  detector ??= spec.create(config.options);
  const detections = updateAll(detector, errors);
  return {
    state: JSON.stringify(detector.toJSON()),
    drifted: detections.length > 0,
    index: detections[0] ?? -1,
    detections: detections.length,
    count: errors.length,
  };
}

/** What the perf scope stores per version: the detector's JSON and when it last flagged drift. */
export interface DetectorRecord {
  state: string | null;
  lastDetection: number | null;
}

export function parseDetectorRecord(json: string | null): DetectorRecord {
  if (json === null) return { state: null, lastDetection: null };
  return JSON.parse(json) as DetectorRecord;
}

export interface VersionDetectors {
  /** Per version fed now: its run, with `drifted` meaning "a detection lies within the evaluation horizon". */
  runs: Map<string, DetectorRun>;
  /** Version → record to store, only for versions whose detector was fed. */
  states: Record<string, string>;
}

/**
 * Runs each version's own detector over that version's errors of the closing bucket. A
 * version without a stored detector (a new version) starts a fresh one; a version fed no
 * errors keeps its stored record untouched.
 *
 * A detector flags a change at one update and then starts afresh, so "flagged since the
 * last evaluation" would fire and resolve every other evaluation while the change lasts.
 * Concept drift counts as present while a detection lies within the evaluation horizon: it
 * fires at the detection and resolves a horizon after the last one.
 */
export function runVersionDetectors(
  input: Pick<EvaluationInput, 'end' | 'detectorState' | 'detectorStates'>,
  errorsByVersion: ReadonlyMap<string, readonly number[]>,
  config: DetectorConfig,
  evaluationHorizonMs: number,
): VersionDetectors {
  const legacyOwner = legacyDetectorOwner(input, errorsByVersion);
  const runs = new Map<string, DetectorRun>();
  const states: Record<string, string> = {};
  for (const [version, errors] of errorsByVersion) {
    const stored = parseDetectorRecord(input.detectorStates[version] ?? (version === legacyOwner ? input.detectorState : null));
    const run = runDetector(stored.state, errors, config);
    const lastDetection = run.drifted ? input.end : stored.lastDetection;
    const recent = lastDetection !== null && input.end - lastDetection < evaluationHorizonMs;
    runs.set(version, { ...run, drifted: recent });
    if (run.state !== null && errors.length > 0) states[version] = JSON.stringify({ state: run.state, lastDetection } satisfies DetectorRecord);
  }
  return { runs, states };
}

/**
 * Releases before per-version detectors kept one model-wide detector (`~detector`). Until
 * any version has its own, that state carries over to the version with the most outcomes in
 * the closing bucket (the one it was effectively reported under); null when there is nothing
 * to carry over.
 */
export function legacyDetectorOwner(
  input: Pick<EvaluationInput, 'detectorState' | 'detectorStates'>,
  errorsByVersion: ReadonlyMap<string, readonly number[]>,
): string | null {
  if (input.detectorState === null || Object.keys(input.detectorStates).length > 0) return null;
  let owner: string | null = null;
  let most = 0;
  for (const [version, errors] of errorsByVersion) {
    if (errors.length > most) {
      owner = version;
      most = errors.length;
    }
  }
  return owner;
}
