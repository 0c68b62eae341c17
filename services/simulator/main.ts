#!/usr/bin/env node
// The simulator: an upstream app in a box. It follows a model's champion with ModelWatcher,
// predicts on a synthetic stream in real time (event time = wall clock) that switches concept
// after SIM_DRIFT_AFTER seconds, logs the predictions and, a little later, their labels, and
// prints how the served model does, so a drift → retrain → hot-swap → recovery loop can be
// watched end to end. Options: services/simulator/options.ts (flags or SIM_* variables);
// connection settings: KAFKA_BROKERS, DW_TOPIC_PREFIX, … (README); model store: DW_MODEL_STORE.
//
//   npx tsx services/simulator/main.ts --write-training-data v1.jsonl --rows 4000
//   driftwatch train --data v1.jsonl --model sim
//   npx tsx services/simulator/main.ts --model sim --drift-after 120
import type { Logger } from 'pino';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { modelStoreFromEnv } from '../../shared/models/local-model-store.js';
import { runMain } from '../../shared/runtime/run-main.js';
import { DriftwatchClient } from '../../shared/sdk/client.js';
import type { ModelWatcher } from '../../shared/sdk/models/model-watcher.js';
import { LiveSimulation, watcherScorer, type LiveProgress } from '../../shared/sim/live-simulation.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { parseSimulatorOptions, SimulatorOptionError, type RunOptions } from './options.js';
import { indexAt, liveStream, writeTrainingData } from './streams.js';

/** A short view of the progress for the log line. */
function summary(progress: LiveProgress): Record<string, unknown> {
  const perVersion = Object.fromEntries(
    Object.entries(progress.perVersion).map(([version, c]) => [
      version,
      { predictions: c.predictions, labels: c.labels, accuracy: c.labels ? round(c.correct / c.labels) : null },
    ]),
  );
  return {
    predictions: progress.predictions,
    labels: progress.labels,
    pendingLabels: progress.pendingLabels,
    version: progress.version,
    rollingAccuracy: progress.rollingAccuracy === null ? null : round(progress.rollingAccuracy),
    rollingLabels: progress.rollingLabels,
    perVersion,
    ...(progress.publishRetries ? { publishRetries: progress.publishRetries } : {}),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

async function run(options: RunOptions, logger: Logger): Promise<number> {
  const config = loadRuntimeConfig();
  // Loaded here, not at the top: it loads TensorFlow.js, which --write-training-data never needs.
  const { ModelNotReadyError, ModelWatcher } = await import('../../shared/sdk/models/model-watcher.js');
  const topics = topicNames(config.topics.prefix);
  const bus = await KafkaBus.connect({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-simulator`,
    security: { ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}) },
    // kafkajs' group chatter at info would bury the progress lines.
    logger: logger.child({}, { level: logger.isLevelEnabled('debug') ? logger.level : 'warn' }),
  });
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping: finishing the chunk being published');
    abort.abort(new Error(`received ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let watcher: ModelWatcher | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let driftTimer: NodeJS.Timeout | undefined;
  try {
    // DW_TOPIC_RETENTION_MS (read without naming where RuntimeConfig keeps it, which is moving).
    await bus.ensureTopics(topicSpecs(topics, config.topics.partitions, { retentionMs: config.topicRetentionMs }));
    const store = modelStoreFromEnv();
    // Set once the simulation exists; the swap log reads its progress.
    const running: { live?: LiveSimulation } = {};
    watcher = await ModelWatcher.start({
      bus,
      store,
      model: options.model,
      topics,
      logger,
      onSwap: (from, to) => {
        const progress = running.live?.progress();
        logger.info(
          { from, to, ...(progress ? { atPrediction: progress.predictions, rollingAccuracy: progress.rollingAccuracy } : {}) },
          from === undefined ? `serving ${options.model} version ${to}` : `hot swap: ${options.model} version ${from} → ${to}`,
        );
      },
    });
    watcher.on('failure', (failure) =>
      logger.warn({ version: failure.version, integrity: failure.integrity, err: failure.error.message }, 'a promoted version was refused'),
    );
    try {
      await watcher.ready({ timeoutMs: options.readyTimeoutS * 1000 });
    } catch (error) {
      if (!(error instanceof ModelNotReadyError)) throw error;
      const champion = watcher.champion();
      throw new Error(
        champion === undefined
          ? `no promoted version of ${options.model}: run \`driftwatch train\` first (waited ${options.readyTimeoutS} s on ${topics.models})`
          : `version ${champion} of ${options.model} is promoted but could not be loaded from the model store: ` +
              `${watcher.lastFailure?.error.message ?? 'still loading'}`,
      );
    }

    const client = new DriftwatchClient({ bus, topics });
    const startTime = Date.now();
    const live = new LiveSimulation({
      stream: liveStream(options),
      scorer: watcherScorer(watcher),
      client,
      model: options.model,
      startTime,
      rate: options.rate,
      labelDelay: options.labelDelay,
      labelShare: options.labelShare,
      seed: options.seed,
      tickMs: options.tickMs,
      ...(options.count !== undefined ? { count: options.count } : {}),
      ...(options.durationS !== undefined ? { durationMs: Math.round(options.durationS * 1000) } : {}),
      signal: abort.signal,
      logger,
    });
    const driftIndex = indexAt(options.driftAfterS, options.rate);
    const driftAt = startTime + Math.floor((driftIndex * 1000) / options.rate);
    logger.info(
      {
        model: options.model,
        version: watcher.version(),
        before: options.before,
        after: options.after,
        driftAt: new Date(driftAt).toISOString(),
        driftWidthS: options.driftWidthS,
        rate: options.rate,
        labelDelay: options.labelDelay,
        topics: { predictions: topics.predictions, labels: topics.labels },
      },
      'simulation starting',
    );
    running.live = live;
    driftTimer = setTimeout(() => logger.info({ ...summary(live.progress()) }, 'concept drift starts now'), Math.max(0, driftAt - Date.now()));
    driftTimer.unref();
    progressTimer = setInterval(() => logger.info(summary(live.progress()), 'progress'), options.progressEveryS * 1000);
    progressTimer.unref();
    const result = await live.run();
    logger.info({ stoppedBy: result.stoppedBy, ...summary(result) }, 'simulation finished');
    return 0;
  } finally {
    clearInterval(progressTimer);
    clearTimeout(driftTimer);
    await watcher?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the model watcher failed'));
    await bus.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the bus failed'));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function main(logger: Logger): Promise<number> {
  let options;
  try {
    options = parseSimulatorOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof SimulatorOptionError) {
      process.stderr.write(`simulator: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options.mode === 'write-training-data') {
    const { rows, format } = await writeTrainingData(options);
    logger.info(
      { file: options.file, rows, format, concept: options.before },
      `wrote ${rows} training rows; next: driftwatch train --data ${options.file} --model ${options.model}`,
    );
    return 0;
  }
  // A failure (ConfigError: status 2) is logged by runMain, redacted, as one line.
  return run(options, logger);
}

await runMain('simulator', main);
