// `driftwatch replay`'s engine: the performance and drift services in embedded mode (one
// MemoryBus, one MemoryKeyspace), fed the input records through the SDK as an upstream app
// would have published them, and the report built from what the services published.
//
// Feeding: the two inputs are merged by event time (see merge-by-time.ts for what is
// assumed about their order) and published in chunks; after each chunk the replay waits
// until both services and the report's listener have handled everything. A live run sees
// the events spread over time; the chunks keep that shape (every partition moves forward
// together, so the watermark advances a chunk at a time rather than jumping over the
// whole input) while memory stays bounded by a chunk, whatever the input's length.
import type { Logger } from 'pino';
import { loadMonitoringConfigFile, parseMonitoringConfig, resolveModelConfig, type MonitoringConfig } from '../../shared/config/monitoring-config.js';
import { formatDuration } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { createLogger } from '../../shared/log/logger.js';
import type { ReplayInput, ReplayProgress, RunReplay } from '../../shared/report/replay.js';
import { driftMinCounts } from '../../shared/monitor/drift-min-count.js';
import { REPORT_FORMAT, type Report } from '../../shared/report/types.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { mergeByTime } from './merge-by-time.js';
import { startMonitor } from './monitor.js';
import { ReportCollector } from './report-collector.js';

/** Records published between two waits for the services: about 50 s of event time at 20 events/s per topic. */
export const REPLAY_CHUNK = 2_000;

export class ReplayAbortedError extends Error {
  override readonly name = 'ReplayAbortedError';
}

function embeddedConfig(): RuntimeConfig {
  // Only the knobs that matter in one process; connection settings of the environment do not apply.
  return loadRuntimeConfig({ DW_MODE: 'embedded', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
}

/** Service logs go to stderr: stdout belongs to the command's progress bar and summary. */
function replayLogger(config: RuntimeConfig): Logger {
  return createLogger('replay', { level: config.logLevel, destination: process.stderr });
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new ReplayAbortedError('replay interrupted');
}

export const runReplay: RunReplay = async (input: ReplayInput): Promise<Report> => {
  const started = Date.now();
  const { signal } = input;
  if (signal?.aborted) throw abortError(signal);
  const monitoring: MonitoringConfig = input.config !== undefined ? loadMonitoringConfigFile(input.config) : parseMonitoringConfig({});
  const config = embeddedConfig();
  const collector = new ReportCollector();
  const monitor = await startMonitor({
    config,
    monitoring,
    logger: replayLogger(config),
    listener: {
      onSnapshot: (s) => collector.addSnapshot(s),
      onAlert: (a) => collector.addAlert(a),
      onDeadLetter: (d) => collector.addDeadLetter(d),
    },
  });

  const progress: ReplayProgress = { stage: 'replaying', predictions: 0, labels: 0 };
  const report = (stage: string): void => input.onProgress?.({ ...progress, stage });
  let eventTime: { start: number; end: number } | null = null;
  const abortSignal = signal ?? new AbortController().signal;
  const onAbort = (): void => void monitor.stop();
  abortSignal.addEventListener('abort', onAbort, { once: true });

  try {
    let predictions: PredictionRecord[] = [];
    let labels: LabelRecord[] = [];
    const flush = async (): Promise<void> => {
      // Predictions first: at equal chunk boundaries a label then finds its prediction waiting.
      if (predictions.length > 0) await monitor.client.logPredictions(predictions);
      if (labels.length > 0) await monitor.client.logLabels(labels);
      progress.predictions += predictions.length;
      progress.labels += labels.length;
      predictions = [];
      labels = [];
      await monitor.settled(abortSignal);
      report('replaying');
    };

    report('replaying');
    for await (const delivery of mergeByTime(input.predictions, input.labels)) {
      if (abortSignal.aborted) throw abortError(abortSignal);
      eventTime =
        eventTime === null
          ? { start: delivery.time, end: delivery.time }
          : { start: Math.min(eventTime.start, delivery.time), end: Math.max(eventTime.end, delivery.time) };
      if (delivery.kind === 'prediction') {
        collector.sawVersion(delivery.record.model, delivery.record.modelVersion);
        predictions.push(delivery.record);
      } else labels.push(delivery.record);
      if (predictions.length + labels.length >= REPLAY_CHUNK) await flush();
    }
    await flush();
    report('evaluating');
    await monitor.settled(abortSignal);
  } catch (error) {
    if (abortSignal.aborted) throw abortError(abortSignal);
    throw error;
  } finally {
    abortSignal.removeEventListener('abort', onAbort);
    await monitor.stop();
  }

  report('done');
  // The rules' context the report needs to present the windows as the alerts judged them.
  const models = collector.modelReports().map((model) => {
    const settings = resolveModelConfig(monitoring, model.model);
    return { ...model, evaluationHorizon: settings.evaluationHorizon.name, driftMinCount: driftMinCounts(settings.alerts) };
  });
  return {
    format: REPORT_FORMAT,
    run: {
      generatedAt: Date.now(),
      durationMs: Date.now() - started,
      inputs: { predictions: input.sources?.predictions ?? null, labels: input.sources?.labels ?? null, config: input.config ?? null },
      counts: { predictions: progress.predictions, labels: progress.labels, deadLetters: collector.deadLettersByReason() },
      eventTime,
      notes: replayNotes(monitoring, collector.modelNames(), eventTime),
    },
    models,
  };
};

function replayNotes(monitoring: MonitoringConfig, models: string[], eventTime: { start: number; end: number } | null): string[] {
  const notes: string[] = [];
  for (const model of models) {
    const settings = resolveModelConfig(monitoring, model);
    if (settings.inferred) notes.push(`model ${model}: no config, defaults inferred`);
    if (eventTime !== null) {
      // Evaluation follows the watermark, as live: the input's last moments never get past it.
      const tail = settings.allowedLatenessMs + settings.evaluationDelayMs;
      notes.push(
        `model ${model}: windows end at most ${formatDuration(tail)} (allowed lateness` +
          `${settings.evaluationDelayMs > 0 ? ' + evaluation delay' : ''}) plus one ${formatDuration(settings.bucketMs)} bucket before the last event; later events are counted but not evaluated`,
      );
    }
  }
  return notes;
}
