// The prediction/label join of one model in one partition number, held in the performance
// service's memory (docs/design/monitoring.md, "The join"). Predictions partition p and labels
// partition p hold both sides of every join: both are keyed by the prediction id.
//
// The join is defined so that what it decides does not depend on how the two streams were
// interleaved while reading them, only on each stream's own order. A rebuild that reads the
// same offsets in another interleaving (after a crash or a rebalance) therefore ends in the
// same state, and the caller can tell from offsets alone whether Redis already counted an
// outcome. With H the label horizon, G the allowed lateness, W_P and W_L each stream's
// watermark (max event time read before the event):
// - a prediction older than W_P − G is late: counted, never joined;
// - a prediction within H of an earlier pending one with the same id is a duplicate: ignored;
// - a label older than W_L − H − G is late: dead-lettered (LATE_LABEL). Labels may come a
//   label horizon out of event-time order: published as truths become known, or right after
//   their predictions with the truth's later time;
// - a label joins the first prediction (by offset) with its id, within H of it in event time,
//   not joined yet, whose kind fits the truth (a class for a classifier, a value for a
//   regressor); a prediction read after labels joins the first waiting label that fits it;
// - a label nothing joined expires once W_P passes its time + H + G: no prediction that is not
//   late can reach it then (dead-lettered, UNKNOWN_PREDICTION or DUPLICATE_LABEL).
// Whatever these rules can no longer reach (a prediction older than both W_P − H − G and
// W_L − 2H − G) is dropped.
// Exact for ids that are not reused within 2H + G; see the design doc for the argument.
import { CutLog } from './cut-log.js';
import { hashId } from './id-hash.js';
import { NO_PREDICTION, PendingPredictions } from './pending-predictions.js';
import { waitingKey, WaitingLabels, type LabelMessage, type LabelRead, type WaitingLabel } from './waiting-labels.js';

export type { LabelMessage, LabelRead };

export interface JoinWindow {
  labelHorizonMs: number;
  /** How far an event may lag its own stream's watermark and still join (the model's allowedLatenessMs). */
  latenessMs: number;
}

export interface PredictionRead {
  offset: number;
  id: string;
  eventTime: number;
  version: number;
  /** Interned predicted class, -1 for a regressor. */
  predictedClass: number;
  predictedValue: number;
  probabilities: Readonly<Record<string, number>> | null;
}

/** A prediction to count (`n` in its coverage bucket). */
export interface Counted {
  offset: number;
  eventTime: number;
  version: number;
}

export interface Joined {
  predictionOffset: number;
  labelOffset: number;
  eventTime: number;
  version: number;
  predictedClass: number;
  predictedValue: number;
  probabilities: Readonly<Record<string, number>> | null;
  trueClass: string | null;
  trueValue: number | null;
  /** The label's message, for the dead-letter topic if its outcome cannot be counted. */
  label: LabelMessage;
}

export type DeadLabelReason = 'UNKNOWN_PREDICTION' | 'DUPLICATE_LABEL' | 'LATE_LABEL';

export interface DeadLabel {
  /** The prediction offset at which the label was found unjoinable (-1: decided by the label stream alone). */
  predictionOffset: number;
  labelOffset: number;
  reason: DeadLabelReason;
  raw: LabelMessage;
}

/** What reading a batch decided, for the caller to filter by what Redis already counted. */
export interface JoinOutput {
  counted: Counted[];
  joined: Joined[];
  dead: DeadLabel[];
  duplicatePredictions: number;
  latePredictions: number;
}

export function emptyJoinOutput(): JoinOutput {
  return { counted: [], joined: [], dead: [], duplicatePredictions: 0, latePredictions: 0 };
}

/** The part of the state a rebuild must reproduce: what the rules can still reach. */
export interface JoinStateView {
  nextPrediction: number;
  nextLabel: number;
  predictionWatermark: number;
  labelWatermark: number;
  pending: { offset: number; joined: boolean }[];
  waiting: number[];
}

export class PartitionJoin {
  private readonly predictions = new PendingPredictions();
  private readonly labels = new WaitingLabels();
  private predictionWatermark = -Infinity;
  private labelWatermark = -Infinity;
  private nextPredictionOffset = -1;
  private nextLabelOffset = -1;
  private predictionCut: CutLog | null = null;
  private labelCut: CutLog | null = null;
  private readonly hash = new Int32Array(2);
  /** How far behind W_P a prediction (or a waiting label's expiry) still matters: H + G. */
  private readonly reach: number;
  /** How far behind W_L a label is still read (not late): H + G; a prediction it can join lies one more H back. */
  private readonly labelReach: number;

  constructor(private readonly window: JoinWindow) {
    this.reach = window.labelHorizonMs + window.latenessMs;
    this.labelReach = window.labelHorizonMs + this.reach;
  }

  /** Offsets the next predictions / labels are expected from (-1 before the first). */
  get nextPrediction(): number {
    return this.nextPredictionOffset;
  }

  get nextLabel(): number {
    return this.nextLabelOffset;
  }

  get pendingCount(): number {
    return this.predictions.size;
  }

  get waitingCount(): number {
    return this.labels.size;
  }

  /** What the memory budget counts: entries held (see PendingPredictions.bytes). */
  get bytes(): number {
    return this.predictions.bytes + this.labels.bytes;
  }

  get allocatedBytes(): number {
    return this.predictions.allocatedBytes + this.labels.bytes;
  }

  /** Reads a prediction; one already read (offset below the position) is ignored and false returned. */
  readPrediction(p: PredictionRead, out: JoinOutput): boolean {
    if (p.offset < this.nextPredictionOffset) return false;
    this.predictionCut ??= new CutLog(p.offset, this.sampleStep());
    this.predictionCut.note(p.offset, this.predictionWatermark);
    this.nextPredictionOffset = p.offset + 1;
    const before = this.predictionWatermark;
    if (p.eventTime > this.predictionWatermark) this.predictionWatermark = p.eventTime;
    if (p.eventTime < before - this.window.latenessMs) {
      out.latePredictions += 1;
      out.counted.push({ offset: p.offset, eventTime: p.eventTime, version: p.version });
    } else {
      this.readOnTimePrediction(p, out);
    }
    if (this.predictionWatermark > before) this.expireLabels(p.offset, out);
    return true;
  }

  private readOnTimePrediction(p: PredictionRead, out: JoinOutput): void {
    const { labelHorizonMs } = this.window;
    for (let slot = this.oldestWithId(p.id); slot !== NO_PREDICTION; slot = this.predictions.next(slot)) {
      if (Math.abs(this.predictions.eventTime(slot) - p.eventTime) <= labelHorizonMs) {
        out.duplicatePredictions += 1;
        return;
      }
    }
    out.counted.push({ offset: p.offset, eventTime: p.eventTime, version: p.version });
    // The id's hash is still in this.hash: nothing hashed another id since.
    const slot = this.predictions.add(this.hash[0]!, this.hash[1]!, p);
    if (this.labels.size === 0) return;
    for (let label = this.labels.withKey(waitingKey(this.hash[0]!)); label !== null; label = label.nextOfId) {
      if (label.predictionId === p.id && Math.abs(label.eventTime - p.eventTime) <= labelHorizonMs && fits(p.predictedClass, label)) {
        this.join(slot, label, out);
        this.labels.remove(label);
        return;
      }
    }
  }

  /** Reads a label; one already read (offset below the position) is ignored and false returned. */
  readLabel(l: LabelRead, out: JoinOutput): boolean {
    if (l.offset < this.nextLabelOffset) return false;
    this.labelCut ??= new CutLog(l.offset, this.sampleStep());
    this.labelCut.note(l.offset, this.labelWatermark);
    this.nextLabelOffset = l.offset + 1;
    const before = this.labelWatermark;
    if (l.eventTime > this.labelWatermark) this.labelWatermark = l.eventTime;
    if (l.eventTime < before - this.reach) {
      out.dead.push({ predictionOffset: -1, labelOffset: l.offset, reason: 'LATE_LABEL', raw: l.raw });
      return true;
    }
    const { labelHorizonMs } = this.window;
    for (let slot = this.oldestWithId(l.predictionId); slot !== NO_PREDICTION; slot = this.predictions.next(slot)) {
      if (!this.predictions.joined(slot) && Math.abs(this.predictions.eventTime(slot) - l.eventTime) <= labelHorizonMs && fits(this.predictions.predictedClass(slot), l)) {
        this.join(slot, l, out);
        return true;
      }
    }
    const expiresAfter = l.eventTime + this.reach;
    if (expiresAfter < this.predictionWatermark) {
      out.dead.push({ predictionOffset: Math.max(-1, this.nextPredictionOffset - 1), labelOffset: l.offset, reason: this.deadReason(l), raw: l.raw });
    } else {
      // It keeps the consumed slice for now (WaitingLabels copies the bytes of labels that wait long).
      const waiting: WaitingLabel = {
        offset: l.offset,
        predictionId: l.predictionId,
        eventTime: l.eventTime,
        trueClass: l.trueClass,
        trueValue: l.trueValue,
        raw: l.raw,
        done: false,
        expiresAfter,
        // The id's hash is still in this.hash (deadReason, which hashes again, was not called).
        key: waitingKey(this.hash[0]!),
        nextOfId: null,
      };
      this.labels.add(waiting);
    }
    return true;
  }

  /** Drops what the rules can no longer reach; call after a batch. */
  evictUnreachable(): void {
    this.labels.batchEnded();
    const horizon = this.unreachableBefore();
    for (let slot = this.predictions.headSlot; slot !== NO_PREDICTION && this.predictions.eventTime(slot) < horizon; slot = this.predictions.headSlot) {
      this.predictions.dropHead();
    }
  }

  /** Drops the oldest pending prediction (memory budget): it stays counted as unlabelled. False when none. */
  dropOldest(): boolean {
    if (this.predictions.headSlot === NO_PREDICTION) return false;
    this.predictions.dropHead();
    return true;
  }

  /**
   * Where a rebuild of each stream must start to reproduce this state: events before these
   * offsets are older than anything the rules can reach from what is kept, by a margin of one
   * more label horizon (null for a stream not read yet).
   */
  rebuildFrom(): { predictions: number | null; labels: number | null } {
    const threshold = this.unreachableBefore() - this.window.labelHorizonMs;
    return {
      predictions: this.predictionCut?.cutBefore(threshold) ?? null,
      labels: this.labelCut?.cutBefore(threshold) ?? null,
    };
  }

  /** The reachable state, for comparing a rebuild with the state it replaces. */
  view(): JoinStateView {
    const horizon = this.unreachableBefore();
    const pending: JoinStateView['pending'] = [];
    for (const slot of this.predictions.slots()) {
      if (this.predictions.eventTime(slot) >= horizon) pending.push({ offset: this.predictions.offset(slot), joined: this.predictions.joined(slot) });
    }
    return {
      nextPrediction: this.nextPredictionOffset,
      nextLabel: this.nextLabelOffset,
      predictionWatermark: this.predictionWatermark,
      labelWatermark: this.labelWatermark,
      pending,
      // By the rule, not by presence: an expired label may still wait behind an older one.
      waiting: this.labels.all().filter((l) => l.expiresAfter >= this.predictionWatermark).map((l) => l.offset),
    };
  }

  private join(slot: number, label: LabelRead, out: JoinOutput): void {
    const p = this.predictions;
    p.markJoined(slot);
    out.joined.push({
      predictionOffset: p.offset(slot),
      labelOffset: label.offset,
      eventTime: p.eventTime(slot),
      version: p.version(slot),
      predictedClass: p.predictedClass(slot),
      predictedValue: p.predictedValue(slot),
      probabilities: p.probabilityMap(slot),
      trueClass: label.trueClass,
      trueValue: label.trueValue,
      label: label.raw,
    });
  }

  /** Predictions older than this no rule can reach: no later prediction duplicates them, no later label joins them. */
  private unreachableBefore(): number {
    return Math.min(this.predictionWatermark - this.reach, this.labelWatermark - this.labelReach);
  }

  /** Labels no prediction can reach any more, now that the prediction at `offset` raised W_P (see WaitingLabels). */
  private expireLabels(offset: number, out: JoinOutput): void {
    for (let label = this.labels.peekOldest(); label !== undefined && label.expiresAfter < this.predictionWatermark; label = this.labels.peekOldest()) {
      this.labels.remove(label);
      out.dead.push({ predictionOffset: offset, labelOffset: label.offset, reason: this.deadReason(label), raw: label.raw });
    }
  }

  /** A label with no prediction to join: a second label of a prediction already joined, or one whose prediction never came. */
  private deadReason(label: LabelRead): DeadLabelReason {
    for (let slot = this.oldestWithId(label.predictionId); slot !== NO_PREDICTION; slot = this.predictions.next(slot)) {
      if (this.predictions.joined(slot) && Math.abs(this.predictions.eventTime(slot) - label.eventTime) <= this.window.labelHorizonMs) return 'DUPLICATE_LABEL';
    }
    return 'UNKNOWN_PREDICTION';
  }

  /** The oldest pending prediction with this id, or NO_PREDICTION; leaves the id's hash in this.hash. */
  private oldestWithId(id: string): number {
    hashId(id, this.hash);
    return this.predictions.oldest(this.hash[0]!, this.hash[1]!);
  }

  /** Watermark samples for the rebuild cut: fine enough that a rebuild reads little more than it must. */
  private sampleStep(): number {
    return Math.max(1_000, Math.floor(this.window.labelHorizonMs / 16));
  }
}

function fits(predictedClass: number, label: { trueClass: string | null; trueValue: number | null }): boolean {
  return predictedClass >= 0 ? label.trueClass !== null : label.trueValue !== null;
}
