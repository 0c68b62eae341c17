import type { DetectorState, DriftAndWarningDetector, JsonNumber } from './detector.js';
import { decodeNumber, encodeNumber, expectKind, WarningFlags } from './detector.js';

export interface DDMOptions {
  warmStart?: number;
  warningThreshold?: number;
  driftThreshold?: number;
}

export interface DDMState extends DetectorState {
  kind: 'DDM';
  options: Required<DDMOptions>;
  driftDetected: boolean;
  warningDetected: boolean;
  n: number;
  p: number;
  pMin: JsonNumber;
  sMin: JsonNumber;
  psMin: JsonNumber;
}

/**
 * Drift Detection Method (Gama et al. 2004) on a stream of 0/1 errors, as River's
 * `drift.binary.DDM`: tracks the error rate p and its Bernoulli deviation s, remembers the
 * point where p + s was lowest, and warns / detects when p + s exceeds
 * p_min + warningThreshold·s_min / p_min + driftThreshold·s_min.
 *
 * Defaults (River's): warmStart 30 (no signal until more than 30 samples), warningThreshold 2,
 * driftThreshold 3. A drift clears the warning; the next update starts from a fresh state.
 */
export class DDM extends WarningFlags implements DriftAndWarningDetector {
  readonly options: Readonly<Required<DDMOptions>>;
  private n = 0;
  private p = 0;
  private pMin = Number.NaN;
  private sMin = Number.NaN;
  private psMin = Infinity;

  constructor(options: DDMOptions = {}) {
    super();
    this.options = Object.freeze({
      warmStart: options.warmStart ?? 30,
      warningThreshold: options.warningThreshold ?? 2,
      driftThreshold: options.driftThreshold ?? 3,
    });
  }

  reset(): void {
    this.drift = false;
    this.warning = false;
    this.n = 0;
    this.p = 0;
    this.pMin = Number.NaN;
    this.sMin = Number.NaN;
    this.psMin = Infinity;
  }

  update(x: number): void {
    if (this.drift) this.reset();
    this.n += 1;
    this.p += (1 / this.n) * (x - this.p);
    const p = this.p;
    const s = Math.sqrt((p * (1 - p)) / this.n);
    if (this.n > this.options.warmStart) {
      if (p + s <= this.psMin) {
        this.pMin = p;
        this.sMin = s;
        this.psMin = this.pMin + this.sMin;
      }
      this.warning = p + s > this.pMin + this.options.warningThreshold * this.sMin;
      if (p + s > this.pMin + this.options.driftThreshold * this.sMin) {
        this.drift = true;
        this.warning = false;
      }
    }
  }

  toJSON(): DDMState {
    return {
      kind: 'DDM',
      options: { ...this.options },
      driftDetected: this.drift,
      warningDetected: this.warning,
      n: this.n,
      p: this.p,
      pMin: encodeNumber(this.pMin),
      sMin: encodeNumber(this.sMin),
      psMin: encodeNumber(this.psMin),
    };
  }

  static fromJSON(state: DetectorState): DDM {
    expectKind(state, 'DDM');
    const s = state as DDMState;
    const d = new DDM(s.options);
    d.drift = s.driftDetected;
    d.warning = s.warningDetected;
    d.n = s.n;
    d.p = s.p;
    d.pMin = decodeNumber(s.pMin);
    d.sMin = decodeNumber(s.sMin);
    d.psMin = decodeNumber(s.psMin);
    return d;
  }
}
