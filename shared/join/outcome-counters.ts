// What one joined outcome adds to its `perf:<version>` bucket, rendered straight into the
// batch's deltas: the counters of ConfusionMatrix.update(true, predicted, probabilities) for a
// classifier, RegressionSums' terms for a regressor. The formulas stay in shared/stats/window;
// this only remembers the slots of the field names they produce (field-slots.ts), which
// joinField would otherwise escape and join again for every outcome.
import { joinField } from '../stats/window/counters.js';
import { DEFAULT_SCORE_BINS, probabilityTerms, type ProbabilityTermsSink } from '../stats/window/confusion-matrix.js';
import { REGRESSION_COUNTER_FIELDS, writeRegressionTerms } from '../stats/window/regression-sums.js';
import { CounterGroup, DeltaAccumulator } from './delta-accumulator.js';
import { FieldSlots, fixedSlot, type FixedField } from './field-slots.js';

/** Field names remembered before the memory is cleared: class names come from events, so their pairs are unbounded. */
const MAX_REMEMBERED_FIELDS = 100_000;

const PROBABILITY_COUNT = fixedSlot('pn');
const LOG_LOSS_SUM = fixedSlot('~ll');
const BRIER_SUM = fixedSlot('~bs');
const REGRESSION_SLOTS = REGRESSION_COUNTER_FIELDS.map(([, field]) => fixedSlot(field as FixedField));
const NO_SLOT = -1;

export class OutcomeCounters {
  /** One model's field names: every accumulator of its batches sums by them. */
  readonly fields = new FieldSlots();
  /** Slot of 'c|<true>|<predicted>' by true class, then predicted class. */
  private readonly confusion = new Map<string, Map<string, number>>();
  /** One regression outcome's terms, rewritten for each. */
  private readonly regressionTerms = new Float64Array(REGRESSION_COUNTER_FIELDS.length);
  /** Where probabilityTerms sends the outcome being rendered. */
  private readonly sink: OutcomeSink;

  /** `maxFields`: field names remembered before they are forgotten (between batches). */
  constructor(
    private readonly scoreBins: number = DEFAULT_SCORE_BINS,
    private readonly maxFields = MAX_REMEMBERED_FIELDS,
  ) {
    this.sink = new OutcomeSink(this.fields, scoreBins);
  }

  /** An empty batch of deltas summed by this model's field slots; the batch's deltas are taken before the next one starts. */
  accumulator(): DeltaAccumulator {
    // Forgotten between batches only: a batch's groups hold slots until its toDeltas().
    if (this.fields.added > this.maxFields) {
      this.confusion.clear();
      this.sink.clear();
      this.fields.reset();
    }
    return new DeltaAccumulator(this.fields);
  }

  /** Adds a classifier's outcome (probabilities already checked by probabilityTerms when the prediction was read). */
  classification(trueClass: string, predictedClass: string, probabilities: Readonly<Record<string, number>> | null, into: CounterGroup): void {
    into.add(this.confusionSlot(trueClass, predictedClass), 1);
    if (probabilities === null) return;
    this.sink.into = into;
    probabilityTerms(trueClass, probabilities, this.scoreBins, this.sink);
  }

  /**
   * Adds a regressor's outcome to the (family, bucket) of `deltas`; throws, adding nothing
   * (not even an empty group), when a term overflows (values near 1e155 and beyond square to Infinity).
   */
  regression(trueValue: number, predictedValue: number, deltas: DeltaAccumulator, family: string, bucketStart: number): void {
    const terms = this.regressionTerms;
    writeRegressionTerms(trueValue, predictedValue, terms);
    for (let i = 0; i < terms.length; i += 1) {
      if (!Number.isFinite(terms[i])) throw new RangeError(`outcome of true value ${trueValue} and prediction ${predictedValue}: ${REGRESSION_COUNTER_FIELDS[i]![1]} is not finite`);
    }
    const into = deltas.group(family, bucketStart);
    for (let i = 0; i < terms.length; i += 1) into.add(REGRESSION_SLOTS[i]!, terms[i]!);
  }

  private confusionSlot(trueClass: string, predictedClass: string): number {
    let byPredicted = this.confusion.get(trueClass);
    if (byPredicted === undefined) {
      byPredicted = new Map();
      this.confusion.set(trueClass, byPredicted);
    }
    let slot = byPredicted.get(predictedClass);
    if (slot === undefined) {
      slot = this.fields.add(joinField('c', trueClass, predictedClass));
      byPredicted.set(predictedClass, slot);
    }
    return slot;
  }
}

/**
 * Adds what probabilityTerms sends to the outcome's group, in the order it sends it: one
 * sink for every outcome of the model, pointed at the outcome's group before each.
 */
class OutcomeSink implements ProbabilityTermsSink {
  into: CounterGroup | null = null;
  /** Slots of 'sp|<label>|<bin>' at 2·bin, 'sn|<label>|<bin>' at 2·bin + 1, by label. */
  private readonly slots = new Map<string, Int32Array>();

  constructor(
    private readonly fields: FieldSlots,
    private readonly scoreBins: number,
  ) {}

  score(label: string, bin: number, positive: boolean): void {
    this.into!.add(this.scoreSlot(label, bin, positive), 1);
  }

  losses(logLoss: number, brier: number): void {
    const into = this.into!;
    into.add(PROBABILITY_COUNT, 1);
    into.add(LOG_LOSS_SUM, logLoss);
    into.add(BRIER_SUM, brier);
  }

  /** Forgets the slots, with the field slots' reset. */
  clear(): void {
    this.slots.clear();
  }

  private scoreSlot(label: string, bin: number, positive: boolean): number {
    let slots = this.slots.get(label);
    if (slots === undefined) {
      slots = new Int32Array(2 * (this.scoreBins + 1)).fill(NO_SLOT);
      this.slots.set(label, slots);
    }
    const at = 2 * bin + (positive ? 0 : 1);
    let slot = slots[at]!;
    if (slot === NO_SLOT) {
      slot = this.fields.add(joinField(positive ? 'sp' : 'sn', label, String(bin)));
      slots[at] = slot;
    }
    return slot;
  }
}
