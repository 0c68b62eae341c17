// Runs the configured concept-drift detector over the error stream of newly joined
// examples (0/1 misclassification, or |error| for regression), resuming from its stored state.
import type { ModelConfig } from '../config/monitoring-config.js';
import type { DetectorState, DriftDetector } from '../stats/detectors/index.js';
import { ADWIN, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, PageHinkley, detectorFromJSON } from '../stats/detectors/index.js';

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
  let index = -1;
  let detections = 0;
  for (let i = 0; i < errors.length; i++) {
    detector.update(errors[i] as number);
    if (detector.driftDetected) {
      detections += 1;
      if (index < 0) index = i;
    }
  }
  return { state: JSON.stringify(detector.toJSON()), drifted: detections > 0, index, detections, count: errors.length };
}
