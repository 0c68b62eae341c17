import type { DetectorState, DriftAndWarningDetector } from './detector.js';
import { expectKind, WarningFlags } from './detector.js';

export interface EDDMOptions {
  warmStart?: number;
  alpha?: number;
  beta?: number;
}

export interface EDDMState extends DetectorState {
  kind: 'EDDM';
  options: Required<EDDMOptions>;
  driftDetected: boolean;
  warningDetected: boolean;
  n: number;
  lastError: number;
  nErrors: number;
  distanceCount: number;
  distanceMean: number;
  distanceM2: number;
  p2sMax: number;
}

/**
 * Early Drift Detection Method (Baena-García et al. 2006) on a stream of 0/1 errors, as
 * River's `drift.binary.EDDM`: watches the mean p' and deviation s' of the distance between
 * consecutive errors; level = (p' + 2s') / max(p' + 2s'). Warning when level < alpha, drift
 * when level < beta. Only an error (x === 1) moves the statistics.
 *
 * Defaults (River's): warmStart 30 (both samples and errors must exceed it), alpha 0.95,
 * beta 0.9. The next update after a drift starts from a fresh state.
 */
export class EDDM extends WarningFlags implements DriftAndWarningDetector {
  readonly options: Readonly<Required<EDDMOptions>>;
  private n = 0;
  private lastError = 0;
  private nErrors = 0;
  // Welford running variance of the distances, rounded exactly as River's stats.Var.
  private distanceCount = 0;
  private distanceMean = 0;
  private distanceM2 = 0;
  private p2sMax = -1;

  constructor(options: EDDMOptions = {}) {
    super();
    const alpha = options.alpha ?? 0.95;
    const beta = options.beta ?? 0.9;
    if (alpha < beta) throw new RangeError("'alpha' must be greater or equal to 'beta'.");
    this.options = Object.freeze({ warmStart: options.warmStart ?? 30, alpha, beta });
  }

  reset(): void {
    this.drift = false;
    this.warning = false;
    this.n = 0;
    this.lastError = 0;
    this.nErrors = 0;
    this.distanceCount = 0;
    this.distanceMean = 0;
    this.distanceM2 = 0;
    this.p2sMax = -1;
  }

  update(x: number): void {
    if (this.drift) this.reset();
    this.n += 1;
    if (x !== 1) return;
    this.nErrors += 1;
    const distance = this.n - this.lastError;
    const oldMean = this.distanceMean;
    this.distanceCount += 1;
    this.distanceMean += (1 / this.distanceCount) * (distance - oldMean);
    this.distanceM2 += (distance - oldMean) * (distance - this.distanceMean);
    if (this.n > this.options.warmStart) {
      const variance = this.distanceCount > 1 ? this.distanceM2 / (this.distanceCount - 1) : 0;
      const p2s = this.distanceMean + 2 * Math.sqrt(variance);
      if (p2s > this.p2sMax) {
        this.p2sMax = p2s;
      } else if (this.nErrors > this.options.warmStart) {
        const level = p2s / this.p2sMax;
        if (level < this.options.beta) this.drift = true;
        else this.warning = level < this.options.alpha;
      }
    }
    this.lastError = this.n;
  }

  toJSON(): EDDMState {
    return {
      kind: 'EDDM',
      options: { ...this.options },
      driftDetected: this.drift,
      warningDetected: this.warning,
      n: this.n,
      lastError: this.lastError,
      nErrors: this.nErrors,
      distanceCount: this.distanceCount,
      distanceMean: this.distanceMean,
      distanceM2: this.distanceM2,
      p2sMax: this.p2sMax,
    };
  }

  static fromJSON(state: DetectorState): EDDM {
    expectKind(state, 'EDDM');
    const s = state as EDDMState;
    const d = new EDDM(s.options);
    d.drift = s.driftDetected;
    d.warning = s.warningDetected;
    d.n = s.n;
    d.lastError = s.lastError;
    d.nErrors = s.nErrors;
    d.distanceCount = s.distanceCount;
    d.distanceMean = s.distanceMean;
    d.distanceM2 = s.distanceM2;
    d.p2sMax = s.p2sMax;
    return d;
  }
}
