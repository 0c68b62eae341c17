import type { DetectorState, DriftAndWarningDetector, JsonNumber } from './detector.js';
import { decodeNumber, encodeNumber, expectKind, WarningFlags } from './detector.js';

export interface HDDM_WOptions {
  driftConfidence?: number;
  warningConfidence?: number;
  lambdaVal?: number;
  twoSidedTest?: boolean;
}

/** An exponentially weighted mean and its independent bounded condition (McDiarmid). */
interface Sample {
  ewma: number;
  isInit: boolean;
  ibc: number;
}

export interface HDDM_WState extends DetectorState {
  kind: 'HDDM_W';
  options: Required<HDDM_WOptions>;
  driftDetected: boolean;
  warningDetected: boolean;
  total: Sample;
  s1Incr: Sample;
  s2Incr: Sample;
  s1Decr: Sample;
  s2Decr: Sample;
  incrCutpoint: JsonNumber;
  decrCutpoint: JsonNumber;
}

function freshSample(): Sample {
  return { ewma: 0, isInit: false, ibc: 1 };
}

// In place, so moving a cut point allocates nothing on the hot path.
function clearSample(s: Sample): void {
  s.ewma = 0;
  s.isInit = false;
  s.ibc = 1;
}

function copySample(dst: Sample, src: Sample): void {
  dst.ewma = src.ewma;
  dst.isInit = src.isInit;
  dst.ibc = src.ibc;
}

/**
 * HDDM with the weighted moving-average test (Frías-Blanco et al. 2014), as River's
 * `drift.binary.HDDM_W`: EWMA estimators before and after the cut point where the
 * McDiarmid-bounded EWMA was lowest (highest, for decreases), compared with McDiarmid's bound.
 *
 * Defaults (River's): driftConfidence 0.001, warningConfidence 0.005, lambdaVal 0.05 (weight of
 * the newest value), twoSidedTest false. The next update after a drift starts fresh.
 */
export class HDDM_W extends WarningFlags implements DriftAndWarningDetector {
  readonly options: Readonly<Required<HDDM_WOptions>>;
  private total = freshSample();
  private s1Incr = freshSample();
  private s2Incr = freshSample();
  private s1Decr = freshSample();
  private s2Decr = freshSample();
  private incrCutpoint = Infinity;
  private decrCutpoint = -Infinity;
  private readonly lambdaSq: number;
  private readonly complementSq: number;
  private readonly oneMinusLambda: number;

  constructor(options: HDDM_WOptions = {}) {
    super();
    this.options = Object.freeze({
      driftConfidence: options.driftConfidence ?? 0.001,
      warningConfidence: options.warningConfidence ?? 0.005,
      lambdaVal: options.lambdaVal ?? 0.05,
      twoSidedTest: options.twoSidedTest ?? false,
    });
    const l = this.options.lambdaVal;
    this.lambdaSq = l * l;
    this.complementSq = (1 - l) * (1 - l);
    this.oneMinusLambda = 1 - l;
  }

  reset(): void {
    this.drift = false;
    this.warning = false;
    this.total = freshSample();
    this.s1Incr = freshSample();
    this.s2Incr = freshSample();
    this.s1Decr = freshSample();
    this.s2Decr = freshSample();
    this.incrCutpoint = Infinity;
    this.decrCutpoint = -Infinity;
  }

  private push(s: Sample, x: number): void {
    s.ewma = s.isInit ? this.options.lambdaVal * x + this.oneMinusLambda * s.ewma : x;
    s.isInit = true;
    s.ibc = this.lambdaSq + this.complementSq * s.ibc;
  }

  private static bound(ibc: number, confidence: number): number {
    return Math.sqrt((ibc * Math.log(1 / confidence)) / 2);
  }

  private static changed(before: Sample, after: Sample, confidence: number): boolean {
    if (!(before.isInit && after.isInit)) return false;
    return after.ewma - before.ewma > HDDM_W.bound(before.ibc + after.ibc, confidence);
  }

  update(x: number): void {
    if (this.drift) this.reset();
    const o = this.options;
    this.push(this.total, x);

    let eps = HDDM_W.bound(this.total.ibc, o.driftConfidence);
    if (this.total.ewma + eps < this.incrCutpoint) {
      this.incrCutpoint = this.total.ewma + eps;
      copySample(this.s1Incr, this.total);
      clearSample(this.s2Incr);
    } else {
      this.push(this.s2Incr, x);
    }
    if (HDDM_W.changed(this.s1Incr, this.s2Incr, o.driftConfidence)) {
      this.warning = false;
      this.drift = true;
    } else if (HDDM_W.changed(this.s1Incr, this.s2Incr, o.warningConfidence)) {
      this.warning = true;
      this.drift = false;
    } else {
      this.warning = false;
      this.drift = false;
    }

    eps = HDDM_W.bound(this.total.ibc, o.driftConfidence);
    if (this.total.ewma - eps > this.decrCutpoint) {
      this.decrCutpoint = this.total.ewma - eps;
      copySample(this.s1Decr, this.total);
      clearSample(this.s2Decr);
    } else {
      this.push(this.s2Decr, x);
    }
    if (o.twoSidedTest) {
      if (HDDM_W.changed(this.s2Decr, this.s1Decr, o.driftConfidence)) this.drift = true;
      else if (HDDM_W.changed(this.s2Decr, this.s1Decr, o.warningConfidence)) this.warning = true;
    }
  }

  toJSON(): HDDM_WState {
    return {
      kind: 'HDDM_W',
      options: { ...this.options },
      driftDetected: this.drift,
      warningDetected: this.warning,
      total: { ...this.total },
      s1Incr: { ...this.s1Incr },
      s2Incr: { ...this.s2Incr },
      s1Decr: { ...this.s1Decr },
      s2Decr: { ...this.s2Decr },
      incrCutpoint: encodeNumber(this.incrCutpoint),
      decrCutpoint: encodeNumber(this.decrCutpoint),
    };
  }

  static fromJSON(state: DetectorState): HDDM_W {
    expectKind(state, 'HDDM_W');
    const s = state as HDDM_WState;
    const d = new HDDM_W(s.options);
    d.drift = s.driftDetected;
    d.warning = s.warningDetected;
    d.total = { ...s.total };
    d.s1Incr = { ...s.s1Incr };
    d.s2Incr = { ...s.s2Incr };
    d.s1Decr = { ...s.s1Decr };
    d.s2Decr = { ...s.s2Decr };
    d.incrCutpoint = decodeNumber(s.incrCutpoint);
    d.decrCutpoint = decodeNumber(s.decrCutpoint);
    return d;
  }
}
