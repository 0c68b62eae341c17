// The one interface every concept-drift detector implements, plus the JSON encoding their
// serialized state shares.

/** A detector fed one observation at a time; flags are valid right after `update`. */
export interface DriftDetector {
  update(x: number): void;
  /**
   * Optional batch form of `update`: feeds the values in order and returns the positions
   * where drift was detected, leaving the detector as the last `update` would have.
   */
  updateMany?(values: ArrayLike<number>): number[];
  /** True when the last update detected a drift; the next update starts from a fresh state. */
  readonly driftDetected: boolean;
  /** Forgets everything seen, keeping the configuration. */
  reset(): void;
  /** Plain JSON state; the class's static `fromJSON` continues exactly where this one is. */
  toJSON(): DetectorState;
}

/** Feeds `values` in order and returns the positions where drift was detected, in batch where the detector can. */
export function updateAll(detector: DriftDetector, values: ArrayLike<number>): number[] {
  if (detector.updateMany) return detector.updateMany(values);
  const detections: number[] = [];
  for (let i = 0; i < values.length; i++) {
    detector.update(values[i]!);
    if (detector.driftDetected) detections.push(i);
  }
  return detections;
}

/** Detectors that also signal an early warning zone (DDM, EDDM, HDDM_A, HDDM_W). */
export interface DriftAndWarningDetector extends DriftDetector {
  readonly warningDetected: boolean;
}

/**
 * The two flags of a detector with a warning zone, as River's DriftAndWarningDetector base
 * keeps them: `update` sets them, callers read them through the getters.
 */
export abstract class WarningFlags {
  protected drift = false;
  protected warning = false;

  get driftDetected(): boolean {
    return this.drift;
  }

  get warningDetected(): boolean {
    return this.warning;
  }
}

/** Serialized state of a detector: `kind` names the class, the rest is that class's own. */
export interface DetectorState {
  kind: string;
  [field: string]: unknown;
}

/** JSON has no ±Infinity or NaN, and several detectors start from ±Infinity. */
export type JsonNumber = number | 'Infinity' | '-Infinity' | 'NaN';

export function encodeNumber(v: number): JsonNumber {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}

export function decodeNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (v === 'NaN') return Number.NaN;
  throw new TypeError(`not a serialized number: ${JSON.stringify(v)}`);
}

export function expectKind(state: DetectorState, kind: string): void {
  if (state.kind !== kind) throw new TypeError(`expected ${kind} state, got ${String(state.kind)}`);
}
