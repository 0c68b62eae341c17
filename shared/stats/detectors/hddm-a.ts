import type { DetectorState, DriftAndWarningDetector } from './detector.js';
import { expectKind, WarningFlags } from './detector.js';

export interface HDDM_AOptions {
  driftConfidence?: number;
  warningConfidence?: number;
  twoSidedTest?: boolean;
}

export interface HDDM_AState extends DetectorState {
  kind: 'HDDM_A';
  options: Required<HDDM_AOptions>;
  driftDetected: boolean;
  warningDetected: boolean;
  /** [count, mean] of the global mean and of the cut points for increase / decrease. */
  z: [number, number];
  xMin: [number, number];
  xMax: [number, number];
}

/**
 * HDDM with the moving-average test (Frías-Blanco et al. 2014), as River's
 * `drift.binary.HDDM_A`: compares the global mean with the mean at the cut point where the
 * Hoeffding-bounded mean was lowest (and highest, when two-sided).
 *
 * Defaults (River's): driftConfidence 0.001, warningConfidence 0.005, twoSidedTest false
 * (only increases of the error rate). The next update after a drift starts fresh.
 */
export class HDDM_A extends WarningFlags implements DriftAndWarningDetector {
  readonly options: Readonly<Required<HDDM_AOptions>>;
  private zN = 0;
  private zMean = 0;
  private minN = 0;
  private minMean = 0;
  private maxN = 0;
  private maxMean = 0;
  private readonly logInvDrift: number;

  constructor(options: HDDM_AOptions = {}) {
    super();
    this.options = Object.freeze({
      driftConfidence: options.driftConfidence ?? 0.001,
      warningConfidence: options.warningConfidence ?? 0.005,
      twoSidedTest: options.twoSidedTest ?? false,
    });
    this.logInvDrift = Math.log(1 / this.options.driftConfidence);
  }

  reset(): void {
    this.drift = false;
    this.warning = false;
    this.zN = 0;
    this.zMean = 0;
    this.minN = 0;
    this.minMean = 0;
    this.maxN = 0;
    this.maxMean = 0;
  }

  private hoeffdingBound(n: number): number {
    return Math.sqrt((1 / (2 * n)) * this.logInvDrift);
  }

  update(x: number): void {
    if (this.drift) this.reset();
    this.zN += 1;
    this.zMean += (1 / this.zN) * (x - this.zMean);
    if (this.minN === 0) {
      this.minN = this.zN;
      this.minMean = this.zMean;
    }
    if (this.maxN === 0) {
      this.maxN = this.zN;
      this.maxMean = this.zMean;
    }
    const epsZ = this.hoeffdingBound(this.zN);
    let epsX = this.hoeffdingBound(this.minN);
    if (this.minMean + epsX >= this.zMean + epsZ) {
      this.minN = this.zN;
      this.minMean = this.zMean;
    }
    epsX = this.hoeffdingBound(this.maxN);
    if (this.maxMean - epsX <= this.zMean - epsZ) {
      this.maxN = this.zN;
      this.maxMean = this.zMean;
    }
    const o = this.options;
    if (this.meanIncreased(o.driftConfidence)) {
      this.warning = false;
      this.drift = true;
    } else if (this.meanIncreased(o.warningConfidence)) {
      this.warning = true;
      this.drift = false;
    } else {
      this.warning = false;
      this.drift = false;
    }
    if (o.twoSidedTest) {
      if (this.meanDecreased(o.driftConfidence)) this.drift = true;
      else if (this.meanDecreased(o.warningConfidence)) this.warning = true;
    }
  }

  private meanIncreased(confidence: number): boolean {
    if (this.minN === this.zN) return false;
    const m = ((this.zN - this.minN) / this.minN) * (1 / this.zN);
    const eps = Math.sqrt((m / 2) * Math.log(2 / confidence));
    return this.zMean - this.minMean >= eps;
  }

  private meanDecreased(confidence: number): boolean {
    if (this.maxN === this.zN) return false;
    const m = ((this.zN - this.maxN) / this.maxN) * (1 / this.zN);
    const eps = Math.sqrt((m / 2) * Math.log(2 / confidence));
    return this.maxMean - this.zMean >= eps;
  }

  toJSON(): HDDM_AState {
    return {
      kind: 'HDDM_A',
      options: { ...this.options },
      driftDetected: this.drift,
      warningDetected: this.warning,
      z: [this.zN, this.zMean],
      xMin: [this.minN, this.minMean],
      xMax: [this.maxN, this.maxMean],
    };
  }

  static fromJSON(state: DetectorState): HDDM_A {
    expectKind(state, 'HDDM_A');
    const s = state as HDDM_AState;
    const d = new HDDM_A(s.options);
    d.drift = s.driftDetected;
    d.warning = s.warningDetected;
    [d.zN, d.zMean] = s.z;
    [d.minN, d.minMean] = s.xMin;
    [d.maxN, d.maxMean] = s.xMax;
    return d;
  }
}
