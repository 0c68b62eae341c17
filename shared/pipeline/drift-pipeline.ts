// The drift service's work: count each prediction's feature values and output into
// event-time windows against its version's reference, and evaluate data drift,
// prediction drift and data quality at each window end.
//
// A version's reference comes, in order of preference, from the model event that
// promoted it (its training profile), from an upload (CLI), or from the first
// `reference.size` predictions of that version, collected in Redis; predictions used for
// the reference are not also counted in windows.
//
// Predictions are decoded without their features (predictionView 'withoutFeatures',
// services.ts): the feature values are read from the message bytes straight into the bins
// (featureDeltasFromBytes), and only the predictions that go into a reference sample are
// decoded in full.
//
// A prediction the SDK re-sent after an unconfirmed publish is dropped when its original is
// already in the partition (resent-duplicates.ts); the offset fences cover redeliveries.
import type { Batch, BatchContext, BusMessage } from '../bus/types.js';
import { latestEventTime, type ModelEvent, type PredictionWithoutFeatures } from '../codec/index.js';
import type { ModelConfig, MonitoringConfig } from '../config/monitoring-config.js';
import { driftReport } from '../monitor/drift-report.js';
import { evaluateRules } from '../monitor/evaluate-rules.js';
import { dqFamily, featFamily, featureDeltasFromBytes, predFamily, type EncodedPrediction } from '../monitor/feature-deltas.js';
import { metricsSnapshot } from '../monitor/metrics-snapshot.js';
import {
  buildReference,
  referenceFromJSON,
  referenceFromModelEvent,
  referenceRow,
  referenceToJSON,
  type ReferenceProfile,
} from '../monitor/reference-profile.js';
import type { BucketDeltas, DriftApplyReply, DriftWindows, EvaluationInput, OutboxEntry, ReferenceStore } from '../monitor-state/types.js';
import type { EvaluationLoopState } from './evaluation-loop.js';
import { groupByModel } from '../runtime/decode.js';
import type { ServiceContext } from '../runtime/run-service.js';
import { watermarkTime } from './clock.js';
import { applyFailure, applyIsolating, storeProbe } from './isolate.js';
import { EvaluationLoop, MONITOR_ENDS_PER_ROUND_TRIP, type EvaluationOutcome } from './evaluation-loop.js';
import { applyFenced, caughtUp } from './fenced-apply.js';
import { ModelSettingsCache, windowSettings } from './model-settings.js';
import type { ModelAdmission } from '../monitor-state/model-admission.js';
import type { DeadLetterFailure } from '../runtime/dead-letters.js';
import { modelBounds, unknownModelLetters, type IdleModels, type ModelGate } from './model-gate.js';
import { alertOutboxEntry, snapshotOutboxEntry } from './outbox-entries.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { BackgroundEvaluations } from './background-evaluations.js';
import { versionsOf } from './performance-pipeline.js';
import { logReaderOf, ResentDuplicateFilter } from './resent-duplicates.js';

export interface DriftPipelineOptions {
  service: ServiceContext;
  /** The drift counters, the references, and what its evaluation loop reads and writes. */
  state: DriftWindows & ReferenceStore & EvaluationLoopState;
  config: MonitoringConfig;
  groupId: string;
  /** Default: the admission set of the service's store (model-gate.ts). */
  admission?: ModelAdmission;
}

/** The service reads predictions without their features (predictionView 'withoutFeatures', services.ts). */
interface Item {
  message: BusMessage;
  event: PredictionWithoutFeatures;
}

export class DriftPipeline {
  private readonly settings: ModelSettingsCache;
  private readonly loop: EvaluationLoop;
  /** model → version → reference; absent means not loaded yet, null means still collecting. */
  private readonly references = new Map<string, Map<string, ReferenceProfile | null>>();
  /** `model|version` → reference sample size last reported by Redis. */
  private readonly sampleSizes = new Map<string, number>();
  /** Which models are counted (maxModels, allow-list) and when their in-memory state goes (issue 9). */
  private readonly gate: ModelGate;
  private readonly idle: IdleModels;
  /**
   * One model's apply at a time, while partitions are consumed concurrently (keyed-serializer.ts):
   * the in-memory state of the model (its references, sample sizes) must not change under an
   * apply between its awaits.
   */
  private readonly models = new KeyedSerializer();
  /** A model's evaluations, beside its applies: they only read what Redis applied, and commit fenced. */
  private readonly evaluations = new KeyedSerializer();
  /** Evaluations run beside the batches whose applies made them due (background-evaluations.ts). */
  readonly background: BackgroundEvaluations;
  private readonly resent: ResentDuplicateFilter;

  constructor(private readonly options: DriftPipelineOptions) {
    const bounds = modelBounds(options.service, options.config, options.admission, (model) => this.forget(model));
    this.gate = bounds.gate;
    this.idle = bounds.idle;
    this.settings = new ModelSettingsCache(options.config, bounds.log);
    this.loop = new EvaluationLoop({
      state: options.state,
      bus: options.service.bus,
      topics: options.service.topics,
      scope: 'drift',
      logger: options.service.logger,
      endsPerRoundTrip: MONITOR_ENDS_PER_ROUND_TRIP,
    });
    const { service } = options;
    this.background = new BackgroundEvaluations(service.metrics.registry, service.logger, 'drift');
    this.resent = new ResentDuplicateFilter({ reader: logReaderOf(service.bus), codec: service.codec, logger: service.logger, counter: service.metrics.duplicates });
  }

  /** Models whose state this instance holds in memory (bounded by maxModels). */
  get modelsInMemory(): number {
    return this.idle.size;
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
    const versions = this.references.get(model);
    if (versions !== undefined) for (const version of versions.keys()) this.sampleSizes.delete(`${model}|${version}`);
    this.references.delete(model);
    this.loop.forget(model);
    this.background.forget(model);
  }

  readonly handleBatch = async (batch: Batch, ctx?: BatchContext): Promise<void> => {
    const { service } = this.options;
    const decoded = await service.decodeOrDeadLetter(batch, 'prediction');
    // Re-sent copies of predictions already in the partition are dropped before anything counts
    // them (resent-duplicates.ts); unflagged predictions are not looked at.
    const items = await this.resent.filter(batch, decoded, ctx);
    const refused: DeadLetterFailure[] = [];
    for (const [model, modelItems] of groupByModel<Item>(items)) {
      const verdict = await this.gate.admit(model);
      if (!verdict.admitted) {
        refused.push(...unknownModelLetters(modelItems, verdict.reason));
        continue;
      }
      this.idle.touch(model);
      await this.models.run(model, () => this.applyModel(batch, model, modelItems));
    }
    // Before the batch's offsets are committed, as every dead letter (dead-letters.ts).
    await this.options.service.deadLetters.publish(refused);
  };

  /**
   * Model events: a version's training profile becomes its reference.
   * - PROMOTED: the profile replaces any reference of the version (the training profile is
   *   the preferred reference; a replay of the topic writes the same profile again).
   * - ROLLED_BACK: the profile is stored only when the version has no reference yet; an
   *   older version that served before keeps the reference its windows were binned with.
   * - CANDIDATE: stored only when absent, so the reference is in place before the first
   *   prediction of the version can arrive (the models and predictions topics are read
   *   independently, and a PROMOTED may be read after the first predictions of its
   *   version). It is the same profile the PROMOTED event carries.
   * - REJECTED: ignored; a rejected version never serves.
   * An event without a profile never changes a reference.
   */
  readonly handleModelEvents = async (batch: Batch): Promise<void> => {
    const { service, state } = this.options;
    for (const { event } of await service.decodeOrDeadLetter(batch, 'model')) {
      const action = referenceAction(event.status);
      if (action === 'ignore') continue;
      // Model events come from the retrainer (a trusted, low-volume topic): only the allow-list
      // applies here, not the cap; the reference key they write expires with the idle expiry.
      if (!this.gate.allowed(event.model).admitted) continue;
      const settings = this.settings.get(event.model);
      const reference = referenceFromModelEvent(event, settings.maxCategories);
      if (reference === null) continue;
      const onlyIfAbsent = action === 'set-if-absent';
      // Under the model's key: between the delete and the reload below, an apply of the
      // predictions subscription would take the version for one still collecting its sample.
      await this.models.run(event.model, async () => {
        const stored = await state.setReference(event.model, event.version, referenceToJSON(reference), { onlyIfAbsent, idleMs: settings.idleExpiryMs });
        // Reload rather than trust the event: with onlyIfAbsent the existing reference stays.
        this.versions(event.model).delete(event.version);
        await this.loadReference(event.model, event.version);
        if (stored) service.logger.info({ model: event.model, version: event.version, status: event.status, source: 'model' }, 'reference set from the model event');
      });
    }
  };

  private async applyModel(batch: Batch, model: string, items: Item[]): Promise<void> {
    const { state, service, groupId } = this.options;
    const settings = this.settings.get(model);
    const windows = windowSettings(settings, service.config.topics.partitions);
    for (const version of new Set(items.map((i) => i.event.modelVersion))) await this.loadReference(model, version);

    this.loop.saw(model, Math.min(...items.map((i) => i.event.eventTime)));
    // While a version's reference is being collected, the batch is applied in two parts:
    // the predictions that fill the sample, then (reference built) the rest into windows.
    // Each part records its own last offset, so a redelivery resumes after the first.
    let reply: DriftApplyReply | null = null;
    const latest = latestEventTime(service.codec.validation);
    let rest = items;
    while (rest.length > 0) {
      const part = this.partUntilSampleFull(model, settings, rest);
      const final = part.length === rest.length;
      // A part that fails is applied in smaller parts (isolate.ts); each records its own last
      // offset, and only the one ending the batch's items records the batch's last offset.
      const sampleSizes: Record<string, number> = {};
      const poisoned = await applyIsolating(
        part,
        async (piece, endsPart) => {
          const ends = final && endsPart;
          const last = ends ? batch.lastOffset : piece.at(-1)!.message.offset;
          const outcome = await applyFenced(
            piece,
            (item) => item.message.offset,
            (tail, firstOffset) => {
              const { deltas, samples } = this.aggregate(model, settings, tail);
              return state.applyDriftBatch({
                model,
                source: { group: groupId, topic: batch.topic, partition: batch.partition, firstOffset, offset: last },
                windows,
                // Only the part that ends the batch can have reached the partition's end.
                caughtUp: ends && caughtUp(batch),
                deltas,
                maxEventTime: watermarkTime(tail.map((i) => i.event.eventTime), latest),
                ...(samples.length > 0 ? { referenceSamples: samples } : {}),
              });
            },
          );
          if (outcome.reply !== null) {
            reply = outcome.reply;
            Object.assign(sampleSizes, outcome.reply.sampleSizes);
          }
        },
        { probe: storeProbe(service.store) },
      );
      if (poisoned.length > 0) await service.deadLetters.publish(poisoned.map(({ item, error }) => ({ message: item.message, error: applyFailure(error) })));
      for (const [version, size] of Object.entries(sampleSizes)) {
        this.sampleSizes.set(`${model}|${version}`, size);
        if (size >= settings.reference.size) await this.completeReference(model, version, settings);
      }
      rest = rest.slice(part.length);
    }
    const applied = reply as DriftApplyReply | null;
    if (applied === null) return;
    // The batch is done once Redis applied it; its evaluation runs beside the next batches.
    this.background.request(model, () =>
      this.evaluations.run(model, () => this.loop.evaluateAfterApply(model, applied, settings, windows, (m, input) => this.evaluate(m, settings, input))),
    );
  }

  /**
   * The leading items up to the one that fills the first collecting version's sample, or
   * all of them when no version is collecting (or its size is unknown to be near full).
   */
  private partUntilSampleFull(model: string, settings: ModelConfig, items: Item[]): Item[] {
    const versions = this.versions(model);
    let version: string | undefined;
    let needed = 0;
    for (let i = 0; i < items.length; i++) {
      const v = items[i]!.event.modelVersion;
      if (version === undefined) {
        if (versions.get(v)) continue;
        version = v;
        needed = settings.reference.size - (this.sampleSizes.get(`${model}|${v}`) ?? 0);
      }
      if (v === version && --needed <= 0) return items.slice(0, i + 1);
    }
    return items;
  }

  private aggregate(model: string, settings: ModelConfig, items: readonly Item[]): { deltas: BucketDeltas[]; samples: { version: string; rows: string[]; cap: number }[] } {
    const { codec } = this.options.service;
    const byVersion = new Map<string, Item[]>();
    for (const item of items) {
      const version = item.event.modelVersion;
      const list = byVersion.get(version);
      if (list) list.push(item);
      else byVersion.set(version, [item]);
    }
    const deltas: BucketDeltas[] = [];
    const samples: { version: string; rows: string[]; cap: number }[] = [];
    for (const [version, list] of byVersion) {
      const reference = this.versions(model).get(version);
      if (reference) {
        const encoded = list.map(({ event, message }): EncodedPrediction => ({
          event,
          bytes: message.value!,
          reader: codec.predictionFeatureReader(message.headers),
        }));
        deltas.push(...featureDeltasFromBytes(encoded, reference, { bucketMs: settings.bucketMs }));
      } else {
        // The sample rows hold the features: these few predictions are decoded in full.
        const rows = list.map(({ message }) => referenceRow(codec.decode('prediction', message.value, message.headers)));
        samples.push({ version, rows, cap: settings.reference.size });
      }
    }
    return { deltas, samples };
  }

  private versions(model: string): Map<string, ReferenceProfile | null> {
    let versions = this.references.get(model);
    if (versions === undefined) {
      versions = new Map();
      this.references.set(model, versions);
    }
    return versions;
  }

  private async loadReference(model: string, version: string): Promise<void> {
    const versions = this.versions(model);
    if (versions.get(version)) return;
    const json = await this.options.state.getReference(model, version);
    versions.set(version, json === null ? null : referenceFromJSON(json));
  }

  /** Enough predictions collected: build the reference (the first instance to store it wins). */
  private async completeReference(model: string, version: string, settings: ModelConfig): Promise<void> {
    const { state, service } = this.options;
    if (this.versions(model).get(version)) return;
    const rows = (await state.readReferenceSample(model, version)).slice(0, settings.reference.size);
    if (rows.length > 0) {
      const reference = buildReference(rows, {
        bins: settings.bins,
        maxCategories: settings.maxCategories,
        featureTypes: settings.features,
        ...(settings.task ? { task: settings.task } : {}),
      });
      const stored = await state.setReference(model, version, referenceToJSON(reference), { onlyIfAbsent: true, idleMs: settings.idleExpiryMs });
      if (stored) service.logger.info({ model, version, rows: rows.length, source: 'sample' }, 'reference built from the first predictions');
    }
    this.versions(model).delete(version);
    await this.loadReference(model, version);
  }

  private async evaluate(model: string, settings: ModelConfig, input: EvaluationInput): Promise<EvaluationOutcome> {
    const { service } = this.options;
    const outbox: OutboxEntry[] = [];
    const alertStates = { ...input.alertStates };
    const now = Date.now();
    for (const version of versionsOf(input, 'feat:')) {
      await this.loadReference(model, version);
      const reference = this.versions(model).get(version);
      if (!reference) continue;
      const reportFor = (horizonMs: number) =>
        driftReport(
          reference,
          {
            feat: input.windows[featFamily(version)]?.[horizonMs] ?? {},
            pred: input.windows[predFamily(version)]?.[horizonMs] ?? {},
            dq: input.windows[dqFamily(version)]?.[horizonMs] ?? {},
          },
          settings,
        );
      let evaluated = null;
      // Only the horizons due at this end were read (evaluation-cadence.ts).
      for (const horizon of settings.horizons.filter((h) => input.horizons.includes(h.ms))) {
        const report = reportFor(horizon.ms);
        if (horizon.ms === settings.evaluationHorizon.ms) evaluated = report;
        const window = { start: input.end - horizon.ms, end: input.end, count: report.count };
        outbox.push(snapshotOutboxEntry(service.codec, metricsSnapshot({ model, version, horizon: horizon.name, window, time: now, drift: report })));
      }
      if (evaluated === null) continue; // alert rules run at the evaluation horizon's ends
      const window = { start: input.end - settings.evaluationHorizon.ms, end: input.end };
      // No predictions of this version in the evaluation horizon: it was superseded (or its
      // traffic stopped), and its firing alerts resolve.
      const result = evaluateRules(settings.alerts, { model, version, drift: evaluated, silent: evaluated.count === 0 }, input.alertStates, input.end, window);
      Object.assign(alertStates, result.states);
      for (const alert of result.alerts) {
        outbox.push(alertOutboxEntry(service.codec, alert));
        service.metrics.alerts.inc({ kind: alert.kind, status: alert.status });
      }
    }
    return { alertStates, outbox };
  }
}

/** What a model event of each status does to its version's reference (see handleModelEvents). */
export function referenceAction(status: ModelEvent['status']): 'set' | 'set-if-absent' | 'ignore' {
  switch (status) {
    case 'PROMOTED':
      return 'set';
    case 'ROLLED_BACK':
    case 'CANDIDATE':
      return 'set-if-absent';
    default:
      return 'ignore';
  }
}
