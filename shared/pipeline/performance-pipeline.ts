// The performance service's work: join predictions with their labels in Redis, count
// outcomes into event-time windows, and evaluate performance and concept drift at each
// window end. One script call per batch per model; evaluation only at bucket boundaries.
import type { Batch, BusMessage } from '../bus/types.js';
import { latestEventTime, type Label, type PredictionWithoutFeatures } from '../codec/index.js';
import type { ModelConfig, MonitoringConfig, Task } from '../config/monitoring-config.js';
import { detectorName, runVersionDetectors } from '../monitor/concept-drift.js';
import { bucketErrors } from '../monitor/bucket-errors.js';
import { evaluateRules } from '../monitor/evaluate-rules.js';
import { metricsSnapshot } from '../monitor/metrics-snapshot.js';
import { covFamily, perfFamily, performanceMetrics } from '../monitor/performance.js';
import { outcomeTemplate } from '../monitor-state/outcome-template.js';
import type { EvaluationInput, IncomingLabel, JoinState, OutboxEntry, PendingPrediction, PerfApplyReply } from '../monitor-state/types.js';
import type { EvaluationLoopState } from './evaluation-loop.js';
import type { DecodedMessage } from '../runtime/decode.js';
import { groupByModel } from '../runtime/decode.js';
import type { ServiceContext } from '../runtime/run-service.js';
import { bucketStart, reachableEnd, watermarkTime } from './clock.js';
import { applyFailure, applyIsolating, storeProbe } from './isolate.js';
import { EvaluationLoop, type EvaluationOutcome } from './evaluation-loop.js';
import { applyFenced, caughtUp } from './fenced-apply.js';
import { ModelSettingsCache, windowSettings } from './model-settings.js';
import type { ModelAdmission } from '../monitor-state/model-admission.js';
import type { DeadLetterFailure } from '../runtime/dead-letters.js';
import { modelBounds, unknownModelLetters, type IdleModels, type ModelGate } from './model-gate.js';
import { alertOutboxEntry, snapshotOutboxEntry } from './outbox-entries.js';
import { KeyedSerializer } from './keyed-serializer.js';

const EXPIRED_LABELS_DRAIN = 1_000;

export interface PerformancePipelineOptions {
  service: ServiceContext;
  /** The join, and what its evaluation loop reads and writes. */
  state: JoinState & EvaluationLoopState;
  config: MonitoringConfig;
  groupId: string;
  /** Default: the admission set of the service's store (model-gate.ts). */
  admission?: ModelAdmission;
}

/** The service reads predictions without their features (predictionView 'withoutFeatures', services.ts). */
interface PredictionItem {
  message: BusMessage;
  event: PredictionWithoutFeatures;
}

type Item = PredictionItem | DecodedMessage<'label'>;

/**
 * An item with what the apply sends for it, built before the model's key is taken. A build
 * that threw keeps its error, thrown again inside the apply (`requestOf`), so poison isolation
 * (isolate.ts) dead-letters exactly that message as it did when the build ran there.
 */
interface Prepared {
  message: BusMessage;
  eventTime: number;
  request: PendingPrediction | IncomingLabel | { failed: unknown };
}

function requestOf<T extends PendingPrediction | IncomingLabel>(item: Prepared): T {
  if ('failed' in item.request) throw item.request.failed;
  return item.request as T;
}

export class PerformancePipeline {
  private readonly settings: ModelSettingsCache;
  private readonly loop: EvaluationLoop;
  /** Classes seen per model: each gets exact counters in later outcome templates. */
  private readonly classes = new Map<string, Set<string>>();
  /** Which models are counted (maxModels, allow-list) and when their in-memory state goes (issue 9). */
  private readonly gate: ModelGate;
  private readonly idle: IdleModels;
  /**
   * One model's apply and evaluation at a time, while partitions are consumed concurrently
   * (keyed-serializer.ts): the reply of one apply decides where its evaluation starts, and the
   * in-memory state of the model must not change under an apply between its awaits.
   */
  private readonly models = new KeyedSerializer();

  constructor(private readonly options: PerformancePipelineOptions) {
    const { service, state } = options;
    const bounds = modelBounds(service, options.config, options.admission, (model) => this.forget(model));
    this.gate = bounds.gate;
    this.idle = bounds.idle;
    this.settings = new ModelSettingsCache(options.config, bounds.log);
    // The detector's closing bucket comes with the advance (one round trip per evaluation).
    this.loop = new EvaluationLoop({ state, bus: service.bus, topics: service.topics, scope: 'perf', logger: service.logger, closing: [perfFamily('')] });
  }

  /** Models whose state this instance holds in memory (bounded by maxModels). */
  get modelsInMemory(): number {
    return this.idle.size;
  }

  /** IdleModels evicted the model: its state goes once its work in flight (if any) is done. */
  private forget(model: string): void {
    void this.models.run(model, async () => {
      // Touched again while the eviction waited: the model is in use, keep its state.
      if (!this.idle.has(model)) this.forgetNow(model);
    });
  }

  private forgetNow(model: string): void {
    this.settings.delete(model);
    this.classes.delete(model);
    this.loop.forget(model);
  }

  readonly handleBatch = async (batch: Batch): Promise<void> => {
    const { service } = this.options;
    const isLabels = batch.topic === service.topics.labels;
    const items: Item[] = isLabels
      ? await service.decodeOrDeadLetter(batch, 'label')
      : await service.decodeOrDeadLetter(batch, 'prediction');
    const refused: DeadLetterFailure[] = [];
    for (const [model, modelItems] of groupByModel<Item>(items)) {
      const verdict = await this.gate.admit(model);
      if (!verdict.admitted) {
        refused.push(...unknownModelLetters(modelItems, verdict.reason));
        continue;
      }
      this.idle.touch(model);
      // The outcome templates are this batch's own CPU work: built outside the model's key, they
      // overlap another partition's apply of the same model instead of queueing behind it.
      const prepared = this.prepare(model, modelItems, isLabels);
      await this.models.run(model, () => this.applyModel(batch, model, prepared, isLabels));
    }
    // Before the batch's offsets are committed, as every dead letter (dead-letters.ts).
    await service.deadLetters.publish(refused);
  };

  private prepare(model: string, items: Item[], isLabels: boolean): Prepared[] {
    const settings = this.settings.get(model);
    return items.map((item) => {
      let request: Prepared['request'];
      try {
        request = isLabels ? incomingLabel(item as DecodedMessage<'label'>) : this.pending(model, settings, item as PredictionItem);
      } catch (failed) {
        request = { failed };
      }
      return { message: item.message, eventTime: item.event.eventTime, request };
    });
  }

  private async applyModel(batch: Batch, model: string, items: Prepared[], isLabels: boolean): Promise<void> {
    const { state, service, groupId } = this.options;
    const settings = this.settings.get(model);
    const windows = windowSettings(settings, service.config.topics.partitions);
    this.loop.saw(model, Math.min(...items.map((i) => i.eventTime)));
    const latest = latestEventTime(service.codec.validation);
    // Applied in parts when a part fails (see isolate.ts): each part records its own last
    // offset, the one ending the model's items the batch's; the last reply is the newest clock.
    let reply: PerfApplyReply | null = null;
    let expiredLabels = false;
    const poisoned = await applyIsolating(
      items,
      async (part, endsItems) => {
        const last = endsItems ? batch.lastOffset : part.at(-1)!.message.offset;
        const outcome = await applyFenced(
          part,
          (item) => item.message.offset,
          (tail, firstOffset) => {
            return state.applyPerfBatch({
              model,
              source: { group: groupId, topic: batch.topic, partition: batch.partition, firstOffset, offset: last },
              windows,
              // Only the part that ends the batch can have reached the partition's end.
              caughtUp: endsItems && caughtUp(batch),
              labelHorizonMs: settings.labelHorizonMs,
              predictions: isLabels ? [] : tail.map((item) => requestOf<PendingPrediction>(item)),
              labels: isLabels ? tail.map((item) => requestOf<IncomingLabel>(item)) : [],
              maxEventTime: watermarkTime(tail.map((item) => item.eventTime), latest),
            });
          },
        );
        if (outcome.reply !== null) {
          reply = outcome.reply;
          if (outcome.reply.expiredLabels > 0) expiredLabels = true;
        }
      },
      { probe: storeProbe(service.store) },
    );
    if (poisoned.length > 0) await service.deadLetters.publish(poisoned.map(({ item, error }) => ({ message: item.message, error: applyFailure(error) })));
    const applied = reply as PerfApplyReply | null;
    if (applied === null) return;
    if (expiredLabels) await this.deadLetterExpiredLabels(model);
    const target = reachableEnd(applied.watermark, applied.end, settings);
    if (target > applied.evaluated) {
      const from = applied.evaluated > 0 ? applied.evaluated : this.loop.firstEnd(model, settings.bucketMs);
      await this.loop.evaluateUpTo(model, from, target, windows, (m, input) => this.evaluate(m, settings, input));
    }
  }

  private pending(model: string, settings: ModelConfig, item: PredictionItem): PendingPrediction {
    const p = item.event;
    if (p.predictedClass !== null) this.knownClasses(model).add(p.predictedClass);
    return {
      id: p.id,
      bucketStart: bucketStart(p.eventTime, settings.bucketMs),
      family: perfFamily(p.modelVersion),
      coverageFamily: covFamily(p.modelVersion),
      outcome: outcomeTemplate(p, { knownClasses: this.knownClasses(model) }),
    };
  }

  private knownClasses(model: string): Set<string> {
    let set = this.classes.get(model);
    if (set === undefined) {
      set = new Set(this.settings.get(model).positiveLabel ? [this.settings.get(model).positiveLabel!] : []);
      this.classes.set(model, set);
    }
    return set;
  }

  /** Labels that waited a whole label horizon for a prediction that never came. */
  private async deadLetterExpiredLabels(model: string): Promise<void> {
    const { state, service } = this.options;
    for (;;) {
      const expired = await state.readExpiredLabels(model, EXPIRED_LABELS_DRAIN);
      if (expired.length === 0) return;
      await service.deadLetters.publish(
        expired.map((raw) => ({
          message: { topic: raw.sourceTopic, partition: raw.partition, offset: raw.offset, value: raw.value, headers: raw.headers },
          error: { reason: 'UNKNOWN_PREDICTION', message: `no prediction arrived within the label horizon for model ${model}` },
        })),
      );
      await state.ackExpiredLabels(model, expired.map((e) => e.id));
      if (expired.length < EXPIRED_LABELS_DRAIN) return;
    }
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

function incomingLabel(item: DecodedMessage<'label'>): IncomingLabel {
  const l: Label = item.event;
  const m = item.message;
  return {
    predictionId: l.predictionId,
    eventTime: l.eventTime,
    trueClass: l.trueClass,
    trueValue: l.trueValue,
    raw: { sourceTopic: m.topic, partition: m.partition, offset: m.offset, value: m.value!, headers: definedHeaders(m.headers) },
  };
}

function definedHeaders(headers: Record<string, Buffer | undefined>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  return out;
}

/** Versions that have a family with the given prefix in this evaluation's windows. */
export function versionsOf(input: EvaluationInput, prefix: string): string[] {
  return Object.keys(input.windows)
    .filter((family) => family.startsWith(prefix))
    .map((family) => family.slice(prefix.length));
}

