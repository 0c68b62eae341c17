// `npm start`: the demo. Runs the performance and drift services in this one process,
// publishes a seeded churn scenario through the SDK (a shift of `spend` and of the error
// rate, then a recovery), prints every alert as the services publish it, and ends with a
// summary per 5-minute window. Needs no network: the bus and the state are in memory.
//
// Options (environment variable, or the flag beside it):
//   DEMO_COUNT       --count N        predictions to publish (default 30000)
//   DEMO_SEED        --seed N         scenario seed (default 7)
//   DEMO_RATE        --rate N         predictions per second of event time (default 20)
//   DEMO_SHIFT_AT    --shift-at N     first shifted prediction (default 36 % of the count)
//   DEMO_RECOVER_AT  --recover-at N   first recovered prediction (default 72 % of the count)
//   DW_MODE          --mode M         embedded (default) or distributed: the same services on
//                                     Kafka and Redis from KAFKA_BROKERS / REDIS_URL; the run
//                                     uses its own topic prefix and model name, so it never
//                                     mixes with earlier runs' data
//   LOG_LEVEL                         the services' log level, on stderr (default warn)
//
// Event time runs far faster than the wall clock: the whole scenario (25 minutes of event
// time by default) is published as fast as the services take it, in chunks.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Alert } from '../../shared/codec/index.js';
import { parseMonitoringConfig, type MonitoringConfigInput } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { createLogger } from '../../shared/log/logger.js';
import type { WindowReport } from '../../shared/report/types.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { POSITIVE_CLASS, resolveScenarioOptions, scenarioDeliveries, type ScenarioParameters } from '../../shared/sim/scenario.js';
import { startMonitor } from './monitor.js';
import { ReportCollector } from './report-collector.js';
import { REPLAY_CHUNK } from './replay.js';

const SUMMARY_WINDOW_MS = 300_000;

interface DemoOptions {
  scenario: ScenarioParameters;
  config: RuntimeConfig;
}

function readOptions(argv: string[], env: NodeJS.ProcessEnv): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      'shift-at': { type: 'string' },
      'recover-at': { type: 'string' },
      mode: { type: 'string' },
    },
  });
  const number = (flag: string | undefined, variable: string, fallback: number): number => {
    const text = flag ?? env[variable];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${variable} must be a non-negative number, got "${text}"`);
    return value;
  };
  const count = Math.floor(number(values.count, 'DEMO_COUNT', 30_000));
  const mode = values.mode ?? env.DW_MODE ?? 'embedded';
  const runtime = loadRuntimeConfig({ ...env, DW_MODE: mode, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' });
  const runId = randomBytes(3).toString('hex');
  const distributed = runtime.mode === 'distributed';
  const scenario = resolveScenarioOptions({
    seed: Math.floor(number(values.seed, 'DEMO_SEED', 7)),
    count,
    eventsPerSecond: number(values.rate, 'DEMO_RATE', 20),
    shiftAt: Math.floor(number(values['shift-at'], 'DEMO_SHIFT_AT', Math.floor(count * 0.36))),
    recoverAt: Math.floor(number(values['recover-at'], 'DEMO_RECOVER_AT', Math.floor(count * 0.72))),
    unlabelledShare: 0.05,
    // On a shared Redis the state is keyed by model: a fresh name per run starts from nothing.
    model: distributed ? `churn-demo-${runId}` : 'churn',
  });
  const config: RuntimeConfig = distributed ? { ...runtime, topics: { ...runtime.topics, prefix: `${runtime.topics.prefix}demo-${runId}.` } } : runtime;
  return { scenario, config };
}

/** What the demo monitors: the default drift rules (after 500 predictions), and accuracy. */
function demoMonitoring(model: string): MonitoringConfigInput {
  return {
    models: {
      [model]: {
        task: 'binary',
        positiveLabel: POSITIVE_CLASS,
        // Labels come up to 60 s after their prediction: a window waits for them before it is scored.
        evaluationDelayMs: '70s',
        alerts: [
          { metric: 'drift:*', minCount: 500 },
          { metric: 'dataset_drift_share', minCount: 500 },
          { metric: 'missing_rate:*', comparison: 'above', warning: 0.1, minCount: 500 },
          { metric: 'accuracy', comparison: 'below', warning: 0.8, critical: 0.7, for: 2, minCount: 500 },
        ],
      },
    },
  };
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const percent = (value: number | undefined | null): string => (value === undefined || value === null ? '   –  ' : `${(value * 100).toFixed(1).padStart(5)}%`);

function alertLine(alert: Alert): string {
  const subject = alert.feature === null ? alert.metric : `${alert.metric} ${alert.feature}`;
  const status = alert.status === 'FIRING' ? 'FIRING  ' : 'RESOLVED';
  return (
    `  ${status} ${alert.severity.padEnd(8)} ${alert.kind.padEnd(16)} ${subject.padEnd(26)} ` +
    `value ${alert.value.toFixed(3).padStart(7)}  window ${clock(alert.window.start)}–${clock(alert.window.end)}  ${alert.message}`
  );
}

function summaryLines(windows: WindowReport[]): string[] {
  const lines = ['', 'Summary per 5-minute window (event time):', '  window              predictions  accuracy     F1  labelled  drifted features'];
  const aligned = windows.filter((w) => w.horizonMs === SUMMARY_WINDOW_MS && w.window.end % SUMMARY_WINDOW_MS === 0 && w.window.count > 0);
  for (const w of aligned) {
    const drifted = w.drift.filter((d) => d.drifted).map((d) => (d.feature === '@prediction' ? 'the prediction' : d.feature));
    lines.push(
      `  ${clock(w.window.start)}–${clock(w.window.end)}  ${String(w.window.count).padStart(11)}  ${percent(w.metrics.accuracy)}  ` +
        `${percent(w.metrics.f1)}  ${percent(w.labelCoverage)}  ${drifted.join(', ') || '–'}`,
    );
  }
  if (aligned.length === 0) lines.push('  (no whole 5-minute window was evaluated: try a larger DEMO_COUNT)');
  return lines;
}

async function main(): Promise<void> {
  const { scenario, config } = readOptions(process.argv.slice(2), process.env);
  const out = process.stdout;
  const started = Date.now();
  const monitoring = parseMonitoringConfig(demoMonitoring(scenario.model));
  const collector = new ReportCollector();
  const alerts: Alert[] = [];
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));

  out.write(
    `driftwatch demo (${config.mode}): ${scenario.count} predictions of model ${scenario.model} at ${scenario.eventsPerSecond}/s of event time, ` +
      `seed ${scenario.seed}; spend and the error rate shift at prediction ${scenario.shiftAt}` +
      `${scenario.recoverAt !== null ? ` and recover at ${scenario.recoverAt}` : ''}.\n\n`,
  );
  const monitor = await startMonitor({
    config,
    monitoring,
    logger: createLogger('demo', { level: config.logLevel, destination: process.stderr }),
    listener: {
      onSnapshot: (s) => collector.addSnapshot(s),
      onAlert: (a) => {
        alerts.push(a);
        collector.addAlert(a);
        out.write(`${alertLine(a)}\n`);
      },
    },
  });

  try {
    let predictions: PredictionRecord[] = [];
    let labels: LabelRecord[] = [];
    let published = 0;
    let lastEventTime = scenario.startTime;
    let nextReport = 0;
    const flush = async (): Promise<void> => {
      if (predictions.length + labels.length === 0) return;
      if (predictions.length > 0) await monitor.client.logPredictions(predictions);
      if (labels.length > 0) await monitor.client.logLabels(labels);
      published += predictions.length;
      predictions = [];
      labels = [];
      await monitor.settled(controller.signal);
      if (published >= nextReport || published === scenario.count) {
        out.write(`· ${published} predictions published and monitored (event time ${clock(lastEventTime)})\n`);
        nextReport = published + Math.max(1, Math.floor(scenario.count / 10));
      }
    };
    for (const delivery of scenarioDeliveries(scenario)) {
      if (delivery.kind === 'prediction') {
        predictions.push(delivery.record);
        lastEventTime = delivery.record.time as number;
        collector.sawVersion(delivery.record.model, delivery.record.modelVersion);
      } else labels.push(delivery.record);
      if (predictions.length + labels.length >= REPLAY_CHUNK) await flush();
    }
    await flush();
  } finally {
    await monitor.stop();
  }

  const model = collector.modelReports().find((m) => m.model === scenario.model);
  for (const line of summaryLines(model?.windows ?? [])) out.write(`${line}\n`);
  const firing = alerts.filter((a) => a.status === 'FIRING').length;
  out.write(
    `\n${alerts.length} alert transitions (${firing} firing, ${alerts.length - firing} resolved) in ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s. Replay your own files with: driftwatch replay --help\n`,
  );
}

try {
  await main();
  process.exitCode = 0;
} catch (error) {
  process.stderr.write(`driftwatch demo: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
}
