// The performance service's work: join predictions with their labels in this process's
// memory (shared/join: per model and partition number, both topics co-partitioned by prediction
// id), count outcomes into event-time windows in Redis with one fenced apply per batch per model,
// and evaluate performance and concept drift at each window end.
import { Counter, Gauge } from 'prom-client';
import type { Batch, BatchContext, BusMessage } from '../bus/types.js';
import { latestEventTime, type Label, type PredictionWithoutFeatures } from '../codec/index.js';
import type { ModelConfig, MonitoringConfig, Task } from '../config/monitoring-config.js';
import { DEFAULT_PENDING_BUDGET_MB } from '../config/runtime-config.js';
import { OutcomeCounters } from '../join/outcome-counters.js';
import { fixedSlot } from '../join/field-slots.js';
import { emptyJoinOutput, type JoinOutput, type LabelRead, type PredictionRead } from '../join/partition-join.js';
import { detectorName, runVersionDetectors } from '../monitor/concept-drift.js';
import { bucketErrors } from '../monitor/bucket-errors.js';
import { evaluateRules } from '../monitor/evaluate-rules.js';
import { metricsSnapshot } from '../monitor/metrics-snapshot.js';
import { covFamily, perfFamily, performanceMetrics } from '../monitor/performance.js';
import { DEFAULT_SCORE_BINS, IGNORED_PROBABILITY_TERMS, probabilityTerms } from '../stats/window/confusion-matrix.js';
import type { EvaluationInput, JoinState, OutboxEntry, PerfDeltaReply } from '../monitor-state/types.js';
import type { EvaluationLoopState } from './evaluation-loop.js';
import type { DecodedMessage } from '../runtime/decode.js';
import { groupByModel } from '../runtime/decode.js';
import type { PartitionRebuild, ServiceContext } from '../runtime/run-service.js';
import { bucketStart, watermarkTime } from './clock.js';
import { applyFailure } from './isolate.js';
import { EvaluationLoop, MONITOR_ENDS_PER_ROUND_TRIP, type EvaluationOutcome } from './evaluation-loop.js';
import { caughtUp } from './fenced-apply.js';
import { ModelSettingsCache, windowSettings } from './model-settings.js';
import type { ModelAdmission } from '../monitor-state/model-admission.js';
import type { DeadLetterFailure } from '../runtime/dead-letters.js';
import { modelBounds, unknownModelLetters, type IdleModels, type ModelGate } from './model-gate.js';
import { alertOutboxEntry, snapshotOutboxEntry } from './outbox-entries.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { BackgroundEvaluations } from './background-evaluations.js';
import { Interner } from './interner.js';
import { JoinBudget } from './join-budget.js';
import { deferralProbe } from './join-deferral.js';
import type { Probe } from '../runtime/ops-server.js';
import { JoinPartitions, otherStream, type DeferredBatch, type JoinPartition, type ModelJoin, type StreamKind } from './join-partitions.js';
import { StreamAlignments } from './stream-alignment.js';

/**
 * How far the labels of a partition may run ahead of its predictions in event time before they
 * are held back (stream-alignment.ts). 0: a label is read only once the predictions reached its
 * time, so it mostly finds its prediction pending instead of waiting in memory for it.
 */
export const LABELS_LEAD_MS = 0;

export interface PerformancePipelineOptions {
  service: ServiceContext;
  /** The deltas apply, and what the evaluation loop reads and writes. */
  state: JoinState & EvaluationLoopState;
  config: MonitoringConfig;
  groupId: string;
  /** Default: the admission set of the service's store (model-gate.ts). */
  admission?: ModelAdmission;
  /** LABELS_LEAD_MS unless given. */
  labelsLeadMs?: number;
  /** RELEASE_AFTER_MS unless given (stream-alignment.ts). */
  labelsReleaseAfterMs?: number;
}

/** The cov counts: predictions, and those joined with their label. */
const PREDICTIONS = fixedSlot('n');
const LABELLED = fixedSlot('l');

/** The service reads predictions without their features (predictionView 'withoutFeatures', services.ts). */
interface PredictionItem {
  message: BusMessage;
  event: PredictionWithoutFeatures;
}

type Item = PredictionItem | DecodedMessage<'label'>;

/** An event whose outcome could never be counted (dead-lettered as APPLY_FAILED). */
interface FailedRead {
  offset: number;
  eventTime: number;
  failed: Error;
  message: BusMessage;
}

/** An event ready for the join, or why it cannot join. */
type Prepared = PredictionRead | LabelRead | FailedRead;

/** Redis's record moved under this instance (another one applied this partition): its state is rebuilt. */
export class JoinOvertakenError extends Error {
  override readonly name = 'JoinOvertakenError';
}

/** An apply sent under the model's key, its reply still to come. */
interface SentApply {
  model: string;
  topic: string;
  reply: Promise<PerfDeltaReply>;
}

/** Waits for every promise; the first failure is thrown once all settled (none is left unhandled). */
async function settleAll(promises: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

interface ModelVocabulary {
  versions: Interner;
  classes: Interner;
  /** By interned version: its counter families, named once. */
  families: { perf: string; cov: string }[];
  outcomes: OutcomeCounters;
}

export class PerformancePipeline {
  private readonly settings: ModelSettingsCache;
  private readonly loop: EvaluationLoop;
  /** Classes seen per model: with the configured task they decide how outcomes are read. */
  private readonly classes = new Map<string, Set<string>>();
  private readonly vocabularies = new Map<string, ModelVocabulary>();
  /** Which models are counted (maxModels, allow-list) and when their in-memory state goes (issue 9). */
  private readonly gate: ModelGate;
  private readonly idle: IdleModels;
  /**
   * One model's join, apply and evaluation at a time, while partitions are consumed concurrently
   * (keyed-serializer.ts): Redis must see a model's batches in the order its join read them.
   */
  private readonly models = new KeyedSerializer();
  /**
   * A model's evaluations, one at a time and in the order their applies were sent, beside its
   * joins: while an evaluation waits for Redis (its advance slides every window over every
   * end it crosses) the next batches of the model are read and sent. An evaluation only reads
   * what Redis applied (advance is atomic there) and its commit is fenced.
   */
  private readonly evaluations = new KeyedSerializer();
  /** Evaluations run beside the batches whose applies made them due (background-evaluations.ts). */
  readonly background: BackgroundEvaluations;
  private readonly partitions: JoinPartitions<Prepared>;
  private readonly budget: JoinBudget;
  /** Holds a partition's labels back while its predictions lag in event time (stream-alignment.ts). */
  private readonly alignments: StreamAlignments;
  private readonly labelsPaused: Counter;

  constructor(private readonly options: PerformancePipelineOptions) {
    const { service, state } = options;
    const bounds = modelBounds(service, options.config, options.admission, (model) => this.forget(model));
    this.gate = bounds.gate;
    this.idle = bounds.idle;
    this.settings = new ModelSettingsCache(options.config, bounds.log);
    // The detector's closing bucket comes with the advance (one round trip per evaluation).
    this.loop = new EvaluationLoop({
      state,
      bus: service.bus,
      topics: service.topics,
      scope: 'perf',
      logger: service.logger,
      closing: [perfFamily('')],
      endsPerRoundTrip: MONITOR_ENDS_PER_ROUND_TRIP,
    });
    this.background = new BackgroundEvaluations(service.metrics.registry, service.logger, 'perf');
    this.partitions = new JoinPartitions({ predictions: service.topics.predictions, labels: service.topics.labels }, service.logger);
    const budgetMb = service.config.pendingBudgetMb ?? DEFAULT_PENDING_BUDGET_MB;
    this.budget = new JoinBudget(budgetMb * 2 ** 20, this.partitions, service.metrics.registry, service.logger);
    this.alignments = new StreamAlignments(options.labelsLeadMs ?? LABELS_LEAD_MS, options.labelsReleaseAfterMs);
    this.labelsPaused = new Counter({
      name: 'driftwatch_stream_paused_total',
      help: 'Times the labels of a partition were held back (not fetched) while its predictions lagged in event time.',
      registers: [service.metrics.registry],
    });
    const paused: Gauge = new Gauge({
      name: 'driftwatch_stream_paused_partitions',
      help: 'Partitions whose labels are held back now, until their predictions catch up in event time or reach their end.',
      registers: [service.metrics.registry],
      collect: (): void => paused.set(this.alignments.held),
    });
  }

  /** Models whose state this instance holds in memory (bounded by maxModels). */
  get modelsInMemory(): number {
    return this.idle.size;
  }

  /** Where partitions resume and what the progress record carries (run-service.ts, PartitionRebuild). */
  readonly rebuild: PartitionRebuild = {
    startOffset: (start, recorded) => this.partitions.startOffset(start, recorded),
    rebuildFrom: (batch) => this.partitions.rebuildFrom(batch),
    appliedThrough: (batch) => this.partitions.appliedThrough(batch),
    assigned: (assignment) => {
      this.partitions.assigned(assignment);
      // The bus lifted every pause with the assignment.
      this.alignments.assigned();
    },
  };

  /** /readyz detail while the join's memory budget is reached. */
  get budgetProbe(): () => Promise<string | void> {
    return this.budget.probe;
  }

  /** /readyz fails once new events have waited too long for a replay (join-deferral.ts). */
  get replayProbe(): Probe {
    return deferralProbe(() => this.partitions.oldestDeferral);
  }

  /** The join state of a partition, for tests that compare a rebuild with what it replaced. */
  joinOf(partition: number): JoinPartition<Prepared> | undefined {
    return [...this.partitions.all()].find((part) => part.partition === partition);
  }

  /** IdleModels evicted the model: its state goes once its work in flight (if any) is done. */
  private forget(model: string): void {
    void this.models.run(model, () =>
      this.evaluations.run(model, async () => {
        // Touched again while the eviction waited: the model is in use, keep its state.
        if (!this.idle.has(model)) this.forgetNow(model);
      }),
    );
  }

  private forgetNow(model: string): void {
    this.settings.delete(model);
    this.classes.delete(model);
    this.vocabularies.delete(model);
    this.partitions.forgetModel(model);
    this.loop.forget(model);
    this.background.forget(model);
  }

  readonly handleBatch = async (batch: Batch, ctx?: BatchContext): Promise<void> => {
    const { service } = this.options;
    const applies: Promise<void>[] = [];
    const kind: StreamKind = batch.topic === service.topics.labels ? 'labels' : 'predictions';
    const part = this.partitions.forBatch(batch);
    const items: Item[] = kind === 'labels' ? await service.decodeOrDeadLetter(batch, 'label') : await service.decodeOrDeadLetter(batch, 'prediction');
    const refused: DeadLetterFailure[] = [];
    for (const [model, modelItems] of groupByModel<Item>(items)) {
      const verdict = await this.gate.admit(model);
      if (!verdict.admitted) {
        refused.push(...unknownModelLetters(modelItems, verdict.reason));
        continue;
      }
      this.idle.touch(model);
      const prepared = modelItems.map((item) => this.prepare(model, item, kind));
      const sent = await this.models.run(model, () => this.joinBatch(part, batch, kind, model, prepared));
      if (sent !== null) applies.push(this.settle(part, sent));
    }
    // Every model's replayed events of this batch are read: new events of the other stream that
    // waited for them may go now.
    part.streams[kind].readThrough = Math.max(part.streams[kind].readThrough, batch.lastOffset);
    applies.push(this.applyDeferred(part));
    if (ctx !== undefined) this.align(part, batch, kind, items, ctx);
    // The batch is done (its progress recorded, its offsets committed) once Redis applied it all.
    await settleAll(applies);
    // Before the batch's offsets are committed, as every dead letter (dead-letters.ts).
    await service.deadLetters.publish(refused);
  };

  /**
   * Holds the partition's labels back, or lets them go on (stream-alignment.ts). Asked after every
   * batch, of either stream: the bus's pause is the truth (a call from a batch of an assignment
   * that is over does nothing), so both are asked for whenever they are wanted, not only on a change.
   */
  private align(part: JoinPartition<Prepared>, batch: Batch, kind: StreamKind, items: readonly Item[], ctx: BatchContext): void {
    if (ctx.pauseCoPartition === undefined || ctx.resumeCoPartition === undefined) return;
    const alignment = this.alignments.of(batch.partition);
    let maxEventTime = -Infinity;
    for (const item of items) if (item.event.eventTime > maxEventTime) maxEventTime = item.event.eventTime;
    alignment.saw(kind === 'predictions' ? { kind, maxEventTime, backlog: batch.highWatermark !== undefined && !caughtUp(batch) } : { kind, maxEventTime });
    const labels = this.options.service.topics.labels;
    if (alignment.holdLabels(labelsReplaying(part))) {
      if (ctx.pauseCoPartition(labels)) {
        alignment.labelsHeld = true;
        this.labelsPaused.inc();
      }
    } else if (ctx.resumeCoPartition(labels)) alignment.labelsHeld = false;
    // Held labels wait for the next predictions batch, not forever (stream-alignment.ts, release).
    // The timer keeps only the resume control, not the batch context (which holds the fetched batch).
    const { resumeCoPartition } = ctx;
    this.alignments.awaitPredictions(
      batch.partition,
      alignment.labelsHeld
        ? () => {
            alignment.release();
            if (resumeCoPartition(labels)) alignment.labelsHeld = false;
          }
        : null,
    );
  }

  /**
   * Waits, outside the model's key, for an apply that was sent under it, then evaluates under
   * the model's evaluation key. The join's key is held only while the join reads and the apply
   * is sent: Redis runs one connection's commands in order, so the next batch of the model can
   * be read and sent while this one's reply travels and its evaluation runs.
   */
  private async settle(part: JoinPartition<Prepared>, sent: SentApply): Promise<void> {
    let reply: PerfDeltaReply;
    try {
      reply = await sent.reply;
    } catch (error) {
      // Read into the join but not applied: the state no longer matches Redis, rebuild it.
      part.healthy = false;
      throw error;
    }
    if (!reply.applied) {
      // Another instance applied this partition since this one read Redis's record: what this
      // join decided may be counted already. Rebuild from the log and ask again.
      part.healthy = false;
      throw new JoinOvertakenError(`${sent.topic} partition ${part.partition}: model ${sent.model}'s recorded offsets moved (another instance applied); rebuilding the join`);
    }
    // The batch is done once Redis applied it; its evaluation runs beside the next batches.
    this.evaluateLater(sent.model, reply);
  }

  /** Evaluates, beside the batches, what the reply says is due (background-evaluations.ts). */
  private evaluateLater(model: string, reply: PerfDeltaReply): void {
    this.background.request(model, () => this.evaluations.run(model, () => this.evaluateAfter(model, this.settings.get(model), reply)));
  }

  /**
   * Reads a model's events of a batch. Events Redis recorded are replayed into the join (nothing
   * applied); a new one is read and applied only once the other stream's replay passed what Redis
   * recorded of it, so every outcome it makes with an event Redis already has is decided here, in
   * the batch that applies it. Until then the batch's new events wait (deferred, in order).
   */
  private async joinBatch(part: JoinPartition<Prepared>, batch: Batch, kind: StreamKind, model: string, items: Prepared[]): Promise<SentApply | null> {
    const entry = await this.entryOf(part, batch, model);
    const recorded = entry.recorded!;
    let replayed = 0;
    try {
      // What a replay decides is counted already: one output collects it, unread.
      const ignored = emptyJoinOutput();
      for (; replayed < items.length && items[replayed]!.offset <= recorded[kind]; replayed++) {
        this.read(entry, items[replayed]!, kind, ignored, []);
        clearOutput(ignored);
      }
    } catch (error) {
      part.healthy = false;
      throw error;
    }
    const fresh = items.slice(replayed);
    if (fresh.length === 0) return null;
    const deferred = { kind, batch: { topic: batch.topic, partition: batch.partition, lastOffset: batch.lastOffset, highWatermark: batch.highWatermark }, items: fresh, since: Date.now() };
    if (entry.deferred.length > 0 || !this.replayDone(part, entry, kind)) {
      entry.deferred.push(deferred);
      return null;
    }
    return this.applyFresh(part, model, entry, deferred);
  }

  /** Whether the other stream's replay passed what Redis had recorded of it when this state was built. */
  private replayDone(part: JoinPartition<Prepared>, entry: ModelJoin<Prepared>, kind: StreamKind): boolean {
    const other = otherStream(kind);
    return part.streams[other].readThrough >= entry.replayTo![other];
  }

  /** Applies, in order, the deferred events whose wait is over. */
  private async applyDeferred(part: JoinPartition<Prepared>): Promise<void> {
    const applies: Promise<void>[] = [];
    for (const [model, entry] of part.models) {
      if (entry.deferred.length === 0) continue;
      await this.models.run(model, async () => {
        while (entry.deferred.length > 0 && this.partitions.isCurrent(part) && this.replayDone(part, entry, entry.deferred[0]!.kind)) {
          const sent = await this.applyFresh(part, model, entry, entry.deferred[0]!);
          entry.deferred.shift();
          if (sent !== null) applies.push(this.settle(part, sent));
        }
      });
    }
    await settleAll(applies);
  }

  /** The model's join in this partition, with Redis's record of it (asked once per state). */
  private async entryOf(part: JoinPartition<Prepared>, batch: Batch, model: string): Promise<ModelJoin<Prepared>> {
    if (!this.partitions.isCurrent(part) || !part.healthy) throw new JoinOvertakenError(`${batch.topic} partition ${batch.partition}: the join's state is being rebuilt`);
    const settings = this.settings.get(model);
    const entry = part.model(model, { labelHorizonMs: settings.labelHorizonMs, latenessMs: settings.allowedLatenessMs });
    if (entry.recorded === null) {
      const reply = await this.options.state.applyPerfDeltas({ ...this.request(model, batch, batch.topic === this.options.service.topics.labels ? 'labels' : 'predictions', batch.lastOffset, batch.lastOffset), expected: null, deltas: [], maxEventTime: 0 });
      const kind: StreamKind = batch.topic === this.options.service.topics.labels ? 'labels' : 'predictions';
      entry.recorded = recordedOf(reply, kind);
      entry.replayTo = { ...entry.recorded };
      // After a restart the ends a stopped process left unevaluated are due now, not at the next new event.
      this.evaluateLater(model, reply);
    }
    return entry;
  }

  /** The fields every applyPerfDeltas of a model's batch shares. */
  private request(model: string, batch: Pick<Batch, 'topic' | 'partition'>, kind: StreamKind, firstOffset: number, lastOffset: number) {
    const { service, groupId } = this.options;
    const otherTopic = kind === 'predictions' ? service.topics.labels : service.topics.predictions;
    return {
      model,
      source: { group: groupId, topic: batch.topic, partition: batch.partition, firstOffset, offset: lastOffset },
      pairedField: `${groupId}|${otherTopic}|${batch.partition}`,
      kind: kind === 'predictions' ? ('pp' as const) : ('pl' as const),
      windows: windowSettings(this.settings.get(model), service.config.topics.partitions),
    };
  }

  /** Reads new events into the join and sends what they decided: one fenced call (null: nothing to send). */
  private async applyFresh(part: JoinPartition<Prepared>, model: string, entry: ModelJoin<Prepared>, deferred: DeferredBatch<Prepared>): Promise<SentApply | null> {
    const { kind, batch, items } = deferred;
    const out = emptyJoinOutput();
    const poisoned: DeadLetterFailure[] = [];
    try {
      for (const item of items) this.read(entry, item, kind, out, poisoned);
      entry.join.evictUnreachable();
      this.budget.enforce(entry.join);
      return await this.applyNew(batch, model, this.settings.get(model), entry, kind, out, poisoned, items);
    } catch (error) {
      // Read into the join but not applied: the state no longer matches Redis, rebuild it.
      part.healthy = false;
      throw error;
    }
  }

  private read(entry: ModelJoin<Prepared>, item: Prepared, kind: StreamKind, out: JoinOutput, poisoned: DeadLetterFailure[]): void {
    if ('failed' in item) {
      // Dead-lettered once: by the read that Redis has not recorded yet.
      if (item.offset > entry.recorded![kind]) poisoned.push({ message: item.message, error: applyFailure(item.failed) });
      return;
    }
    if (kind === 'predictions') entry.join.readPrediction(item as PredictionRead, out);
    else entry.join.readLabel(item as LabelRead, out);
  }

  /** Sends what Redis has not counted yet: one fenced call, unless nothing is new. */
  private async applyNew(
    batch: DeferredBatch<Prepared>['batch'],
    model: string,
    settings: ModelConfig,
    entry: ModelJoin<Prepared>,
    kind: StreamKind,
    out: JoinOutput,
    poisoned: DeadLetterFailure[],
    items: Prepared[],
  ): Promise<SentApply | null> {
    const { state, service } = this.options;
    const recorded = entry.recorded!;
    const counted = (predictionOffset: number, labelOffset: number): boolean => predictionOffset <= recorded.predictions && labelOffset <= recorded.labels;
    const vocabulary = this.vocabulary(model);
    const outcomes = vocabulary.outcomes;
    const deltas = outcomes.accumulator();
    for (const c of out.counted) {
      if (c.offset > recorded.predictions) deltas.add(this.families(vocabulary, c.version).cov, bucketStart(c.eventTime, settings.bucketMs), PREDICTIONS, 1);
    }
    const letters: DeadLetterFailure[] = [...poisoned];
    for (const j of out.joined) {
      if (counted(j.predictionOffset, j.labelOffset)) continue;
      const families = this.families(vocabulary, j.version);
      const bucket = bucketStart(j.eventTime, settings.bucketMs);
      try {
        if (j.predictedClass >= 0) {
          outcomes.classification(j.trueClass!, vocabulary.classes.name(j.predictedClass), j.probabilities, deltas.group(families.perf, bucket));
        } else outcomes.regression(j.trueValue!, j.predictedValue, deltas, families.perf, bucket);
      } catch (error) {
        // An outcome no window can hold (it overflows): the label is dead-lettered, the prediction stays unlabelled.
        letters.push({ message: j.label, error: applyFailure(error instanceof Error ? error : new Error(String(error))) });
        continue;
      }
      deltas.add(families.cov, bucket, LABELLED, 1);
    }
    for (const d of out.dead) {
      if (counted(d.predictionOffset, d.labelOffset)) continue;
      letters.push({ message: d.raw, error: deadLabelError(d.reason, model, settings.labelHorizonMs) });
    }
    if (deltas.empty && letters.length === 0 && batch.lastOffset <= recorded[kind]) return null;
    // Taken before the await: the next batch of the model may reset the field slots they are summed by.
    const counters = deltas.toDeltas();
    await service.deadLetters.publish(letters);

    this.loop.saw(model, earliestEventTime(items));
    const latest = latestEventTime(service.codec.validation);
    const reply = state.applyPerfDeltas({
      ...this.request(model, batch, kind, Math.min(items[0]!.offset, batch.lastOffset), batch.lastOffset),
      // Only the batch that reached the partition's end can let it go idle.
      caughtUp: caughtUp(batch),
      expected: { own: recorded[kind], paired: recorded[otherStream(kind)] },
      deltas: counters,
      maxEventTime: watermarkTime(items.map((i) => i.eventTime), latest),
    });
    // settle() awaits it; until then a failure must not count as unhandled.
    reply.catch(() => undefined);
    // What Redis will have recorded once this apply is through: the next apply of the model,
    // sent before this reply comes, expects it (if this one is refused, so is that one).
    entry.recorded = { ...recorded, [kind]: Math.max(recorded[kind], batch.lastOffset) };
    return { model, topic: batch.topic, reply };
  }

  private async evaluateAfter(model: string, settings: ModelConfig, applied: PerfDeltaReply): Promise<void> {
    const windows = windowSettings(settings, this.options.service.config.topics.partitions);
    await this.loop.evaluateAfterApply(model, applied, settings, windows, (m, input) => this.evaluate(m, settings, input));
  }

  /** The join's view of an event; an event whose outcome could never be rendered fails here, alone. */
  private prepare(model: string, item: Item, kind: StreamKind): Prepared {
    try {
      return kind === 'labels' ? labelRead(item as DecodedMessage<'label'>) : this.predictionRead(model, item as PredictionItem);
    } catch (error) {
      return { offset: item.message.offset, eventTime: item.event.eventTime, failed: error instanceof Error ? error : new Error(String(error)), message: item.message };
    }
  }

  /** A version's counter families, named once per model and version. */
  private families(vocabulary: ModelVocabulary, version: number): { perf: string; cov: string } {
    let families = vocabulary.families[version];
    if (families === undefined) {
      const name = vocabulary.versions.name(version);
      families = { perf: perfFamily(name), cov: covFamily(name) };
      vocabulary.families[version] = families;
    }
    return families;
  }

  private predictionRead(model: string, item: PredictionItem): PredictionRead {
    const p = item.event;
    const vocabulary = this.vocabulary(model);
    const probabilities = hasEntries(p.classProbabilities) ? p.classProbabilities : null;
    if (p.predictedClass === null) {
      if (p.predictedValue === null || !Number.isFinite(p.predictedValue)) throw new RangeError(`prediction ${p.id} has neither a class nor a finite value`);
    } else {
      this.knownClasses(model).add(p.predictedClass);
      // The terms' own checks (a probability outside [0, 1]), now rather than when its label comes.
      if (probabilities !== null) probabilityTerms(p.predictedClass, probabilities, DEFAULT_SCORE_BINS, IGNORED_PROBABILITY_TERMS);
    }
    return {
      offset: item.message.offset,
      id: p.id,
      eventTime: p.eventTime,
      version: vocabulary.versions.index(p.modelVersion),
      predictedClass: p.predictedClass === null ? -1 : vocabulary.classes.index(p.predictedClass),
      predictedValue: p.predictedValue ?? 0,
      probabilities,
    };
  }

  private vocabulary(model: string): ModelVocabulary {
    let vocabulary = this.vocabularies.get(model);
    if (vocabulary === undefined) {
      vocabulary = { versions: new Interner(2 ** 16), classes: new Interner(2 ** 31), families: [], outcomes: new OutcomeCounters() };
      this.vocabularies.set(model, vocabulary);
    }
    return vocabulary;
  }

  private knownClasses(model: string): Set<string> {
    let set = this.classes.get(model);
    if (set === undefined) {
      set = new Set(this.settings.get(model).positiveLabel ? [this.settings.get(model).positiveLabel!] : []);
      this.classes.set(model, set);
    }
    return set;
  }

  private async evaluate(model: string, settings: ModelConfig, input: EvaluationInput): Promise<EvaluationOutcome> {
    const { service } = this.options;
    const task = this.task(model, settings);
    // The detector is fed the outcomes of the bucket this evaluation closes, bucket after
    // bucket in event-time order (join order, which a consumer catching up scrambles across
    // partitions, would make it flag at odd times). Labels arriving after the
    // evaluation delay still count in the windows, but not in the detector.
    // The advance returned that bucket (EvaluationLoop's `closing`), so it costs no round trip.
    const errorsByVersion = new Map<string, number[]>();
    for (const version of versionsOf(input, 'perf:')) {
      errorsByVersion.set(version, bucketErrors(task, input.closing[perfFamily(version)] ?? {}));
    }
    // Each version has its own detector (`~detector|<version>`), fed only its own outcomes.
    const detector = detectorName(settings.conceptDrift);
    const { runs: conceptDrift, states: detectorStates } = runVersionDetectors(input, errorsByVersion, settings.conceptDrift, settings.evaluationHorizon.ms);

    const outbox: OutboxEntry[] = [];
    const alertStates = { ...input.alertStates };
    const now = Date.now();
    for (const version of versionsOf(input, 'perf:')) {
      // Only the horizons due at this end were read (evaluation-cadence.ts).
      const perHorizon = settings.horizons.filter((horizon) => input.horizons.includes(horizon.ms)).map((horizon) => ({
        horizon,
        metrics: performanceMetrics(task, input.windows[perfFamily(version)]?.[horizon.ms] ?? {}, input.windows[covFamily(version)]?.[horizon.ms] ?? {}, {
          ...(settings.positiveLabel !== undefined ? { positiveLabel: settings.positiveLabel } : {}),
        }),
      }));
      for (const { horizon, metrics } of perHorizon) {
        const window = { start: input.end - horizon.ms, end: input.end, count: metrics.predictions ?? 0 };
        outbox.push(snapshotOutboxEntry(service.codec, metricsSnapshot({ model, version, horizon: horizon.name, window, time: now, performance: metrics })));
      }
      const evaluated = perHorizon.find((h) => h.horizon.ms === settings.evaluationHorizon.ms);
      if (evaluated === undefined) continue; // alert rules run at the evaluation horizon's ends
      const window = { start: input.end - settings.evaluationHorizon.ms, end: input.end };
      const run = conceptDrift.get(version);
      const result = evaluateRules(
        settings.alerts,
        {
          model,
          version,
          performance: evaluated.metrics,
          ...(detector !== null && run !== undefined ? { conceptDrift: { ...run, detector } } : {}),
          // No predictions of this version in the evaluation horizon: it was superseded (or
          // its traffic stopped), and its firing alerts resolve.
          silent: (evaluated.metrics.predictions ?? 0) === 0,
        },
        input.alertStates,
        input.end,
        window,
      );
      Object.assign(alertStates, result.states);
      for (const alert of result.alerts) {
        outbox.push(alertOutboxEntry(service.codec, alert));
        service.metrics.alerts.inc({ kind: alert.kind, status: alert.status });
      }
    }
    return {
      alertStates,
      ...(Object.keys(detectorStates).length > 0 ? { detectorStates } : {}),
      outbox,
    };
  }

  /** The configured task, else inferred: classes seen make it classification. */
  private task(model: string, settings: ModelConfig): Task {
    if (settings.task) return settings.task;
    const classes = this.knownClasses(model);
    if (classes.size === 0) return 'regression';
    return classes.size <= 2 && settings.positiveLabel !== undefined ? 'binary' : 'multiclass';
  }

}

/** Object.keys(map).length > 0 without the array of keys (one per prediction otherwise). */
function hasEntries(map: Readonly<Record<string, unknown>>): boolean {
  for (const _ in map) return true;
  return false;
}

function labelRead(item: DecodedMessage<'label'>): LabelRead {
  const l: Label = item.event;
  return {
    offset: item.message.offset,
    predictionId: l.predictionId,
    eventTime: l.eventTime,
    trueClass: l.trueClass,
    trueValue: l.trueValue,
    raw: item.message,
  };
}

/** Whether some model's rebuild still replays labels Redis recorded: its new predictions wait for them (replayDone). */
function labelsReplaying(part: JoinPartition<Prepared>): boolean {
  const readThrough = part.streams.labels.readThrough;
  for (const entry of part.models.values()) {
    if (entry.replayTo !== null && readThrough < entry.replayTo.labels) return true;
  }
  return false;
}

function clearOutput(out: JoinOutput): void {
  out.counted.length = 0;
  out.joined.length = 0;
  out.dead.length = 0;
}

function earliestEventTime(items: readonly Prepared[]): number {
  let earliest = Infinity;
  for (const item of items) if (item.eventTime < earliest) earliest = item.eventTime;
  return earliest;
}

function recordedOf(reply: PerfDeltaReply, kind: StreamKind): Record<StreamKind, number> {
  return kind === 'predictions'
    ? { predictions: reply.recordedOffset, labels: reply.pairedOffset }
    : { predictions: reply.pairedOffset, labels: reply.recordedOffset };
}

function deadLabelError(reason: string, model: string, labelHorizonMs: number): { reason: string; message: string } {
  switch (reason) {
    case 'LATE_LABEL':
      return { reason, message: `label of model ${model} came later than the allowed lateness behind the labels before it` };
    case 'DUPLICATE_LABEL':
      return { reason, message: `a label of model ${model} for a prediction that already has one` };
    default:
      return { reason: 'UNKNOWN_PREDICTION', message: `no prediction of model ${model} to join within the label horizon (${labelHorizonMs} ms)` };
  }
}

/** Versions that have a family with the given prefix in this evaluation's windows. */
export function versionsOf(input: EvaluationInput, prefix: string): string[] {
  return Object.keys(input.windows)
    .filter((family) => family.startsWith(prefix))
    .map((family) => family.slice(prefix.length));
}

