// The performance service's outcome deltas as they were summed before field slots
// (shared/join/field-slots.ts): one object per (family, bucket) keyed by field name, each term
// added to it as it came (then a closure and a result object per outcome came with it too;
// here one sink serves them all, so that only the summing differs). Kept as the oracle the slot accumulation must equal bit for bit
// (test/unit/join/outcome-deltas.test.ts) and as the "before" of bench/outcome-deltas.bench.ts.
// The formulas are the shared ones (stats/window): only the summing is this file's own.
import type { BucketDeltas } from '../../shared/monitor-state/types.js';
import { joinField } from '../../shared/stats/window/counters.js';
import { DEFAULT_SCORE_BINS, probabilityTerms } from '../../shared/stats/window/confusion-matrix.js';
import { REGRESSION_COUNTER_FIELDS, regressionTerms } from '../../shared/stats/window/regression-sums.js';

export type ReferenceCounters = Record<string, number>;

export class ReferenceDeltaAccumulator {
  private readonly families = new Map<string, Map<number, ReferenceCounters>>();
  private lastFamily = '';
  private lastBucket = NaN;
  private lastCounters: ReferenceCounters | null = null;

  counters(family: string, bucketStart: number): ReferenceCounters {
    if (this.lastCounters !== null && bucketStart === this.lastBucket && family === this.lastFamily) return this.lastCounters;
    let buckets = this.families.get(family);
    if (buckets === undefined) {
      buckets = new Map();
      this.families.set(family, buckets);
    }
    let counters = buckets.get(bucketStart);
    if (counters === undefined) {
      counters = Object.create(null) as ReferenceCounters;
      buckets.set(bucketStart, counters);
    }
    this.lastFamily = family;
    this.lastBucket = bucketStart;
    this.lastCounters = counters;
    return counters;
  }

  add(family: string, bucketStart: number, field: string, by: number): void {
    increment(this.counters(family, bucketStart), field, by);
  }

  get empty(): boolean {
    return this.families.size === 0;
  }

  toDeltas(): BucketDeltas[] {
    const out: BucketDeltas[] = [];
    for (const [family, buckets] of this.families) {
      for (const [bucketStart, counters] of buckets) out.push({ family, bucketStart, counters });
    }
    return out;
  }
}

export class ReferenceOutcomeCounters {
  private readonly confusion = new Map<string, Map<string, string>>();
  private readonly scores = new Map<string, string[]>();
  /** Where probabilityTerms sends one outcome's scores (counted at once) and losses (kept for after). */
  private readonly terms = {
    into: Object.create(null) as ReferenceCounters,
    logLoss: 0,
    brier: 0,
    score: (label: string, bin: number, positive: boolean): void => increment(this.terms.into, this.scoreField(label, bin, positive), 1),
    losses: (logLoss: number, brier: number): void => {
      this.terms.logLoss = logLoss;
      this.terms.brier = brier;
    },
  };

  constructor(private readonly scoreBins: number = DEFAULT_SCORE_BINS) {}

  classification(trueClass: string, predictedClass: string, probabilities: Readonly<Record<string, number>> | null, into: ReferenceCounters): void {
    increment(into, this.confusionField(trueClass, predictedClass), 1);
    if (probabilities === null) return;
    this.terms.into = into;
    probabilityTerms(trueClass, probabilities, this.scoreBins, this.terms);
    increment(into, 'pn', 1);
    increment(into, '~ll', this.terms.logLoss);
    increment(into, '~bs', this.terms.brier);
  }

  regression(trueValue: number, predictedValue: number): [string, number][] {
    const terms = regressionTerms(trueValue, predictedValue);
    const counters = REGRESSION_COUNTER_FIELDS.map(([term, field]): [string, number] => [field, terms[term]]);
    for (const [field, by] of counters) {
      if (!Number.isFinite(by)) throw new RangeError(`outcome of true value ${trueValue} and prediction ${predictedValue}: ${field} is not finite`);
    }
    return counters;
  }

  private confusionField(trueClass: string, predictedClass: string): string {
    let byPredicted = this.confusion.get(trueClass);
    if (byPredicted === undefined) {
      byPredicted = new Map();
      this.confusion.set(trueClass, byPredicted);
    }
    let field = byPredicted.get(predictedClass);
    if (field === undefined) {
      field = joinField('c', trueClass, predictedClass);
      byPredicted.set(predictedClass, field);
    }
    return field;
  }

  private scoreField(label: string, bin: number, positive: boolean): string {
    let fields = this.scores.get(label);
    if (fields === undefined) {
      fields = [];
      this.scores.set(label, fields);
    }
    const at = 2 * bin + (positive ? 0 : 1);
    let field = fields[at];
    if (field === undefined) {
      field = joinField(positive ? 'sp' : 'sn', label, String(bin));
      fields[at] = field;
    }
    return field;
  }
}

export function increment(counters: ReferenceCounters, field: string, by: number): void {
  counters[field] = (counters[field] ?? 0) + by;
}
