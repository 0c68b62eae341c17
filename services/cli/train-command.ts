// `driftwatch train --data FILE --model NAME`: the bootstrap. Trains a model's first version (or
// its next one, from scratch) from a labelled CSV or JSON Lines file with the model's retrain
// policy (shared/retrain/bootstrap.ts), stores it in DW_MODEL_STORE and publishes PROMOTED on
// the models topic, so ModelWatcher serves it and the drift service takes its training profile
// as the reference. File format: services/cli/training-rows.ts. Connection settings come from
// the environment like the services' (KAFKA_*, DW_TOPIC_PREFIX); the policy from --config, else
// DW_MONITORING_CONFIG / DW_MONITORING_CONFIG_JSON, else the defaults.
import { InvalidArgumentError, type Command } from 'commander';
import type { Logger } from 'pino';
import { TopicMismatchError } from '../../shared/bus/errors.js';
import { Codec } from '../../shared/codec/codec.js';
import { ConfigError as MonitoringConfigError, loadMonitoringConfig, MONITORING_CONFIG_ENV, MONITORING_CONFIG_JSON_ENV, resolveModelConfig, type MonitoringConfig } from '../../shared/config/monitoring-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { modelStoreFromEnv } from '../../shared/models/local-model-store.js';
import { checkModelName, VersionExistsError, type ModelStore } from '../../shared/models/model-store.js';
import { BootstrapPublishError, BootstrapRefusedError, bootstrapModel, prepareBootstrapExamples, type BootstrapResult } from '../../shared/retrain/bootstrap.js';
import { table } from '../../shared/report/text-table.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { connectBus } from './connect-bus.js';
import { CliError, type CliStreams } from './program.js';
import { detectFormat, RECORD_FORMATS, type RecordFormat } from './read-records.js';
import { readTrainingRows } from './training-rows.js';

export interface TrainCommandDeps extends CliStreams {
  /** Where connection settings come from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface TrainOptions {
  data: string;
  model: string;
  labelColumn: string;
  timeColumn?: string;
  config?: string;
  format?: RecordFormat;
  json?: boolean;
}

async function train(deps: TrainCommandDeps, options: TrainOptions, command: Command): Promise<void> {
  const env = deps.env ?? process.env;
  const timeColumn = options.timeColumn ?? 'time';
  if (options.labelColumn === timeColumn) {
    command.error(`error: --label-column and --time-column are both "${timeColumn}"`, { exitCode: 2, code: 'driftwatch.usage' });
  }
  try {
    checkModelName(options.model);
  } catch (error) {
    command.error(`error: --model: ${(error as Error).message}`, { exitCode: 2, code: 'driftwatch.usage' });
  }

  // Everything that can be refused is refused before connecting to anything.
  const format = detectFormat(options.data, options.format);
  const read = await readTrainingRows(options.data, {
    format,
    labelColumn: options.labelColumn,
    timeColumn,
    timeColumnRequired: options.timeColumn !== undefined,
  });
  const monitoring = loadConfig(options.config, env);
  const policy = resolveModelConfig(monitoring.config, options.model).retrain;
  const minExamplesSource = describeMinExamples(monitoring, options.model);
  try {
    prepareBootstrapExamples(read.rows, policy, minExamplesSource);
  } catch (error) {
    if (error instanceof BootstrapRefusedError) throw new CliError(`cannot train ${options.model} from ${options.data}: ${error.message}`);
    throw error;
  }

  const store = openStore(env);
  // kafkajs' own connection errors stay quiet unless LOG_LEVEL asks: the one-line error says it all.
  const { bus, runtime } = await connectBus(env, 'silent');
  // Logs go to stderr and only when asked for: stdout is the command's output.
  const logger: Logger = createLogger('driftwatch-cli', { level: env.LOG_LEVEL ?? 'error', destination: process.stderr });

  const topics = topicNames(runtime.topics.prefix);
  let result: BootstrapResult;
  try {
    // Created as the services create them (the models topic compacted, one partition) when the
    // bootstrap runs before any service has.
    try {
      await bus.ensureTopics(topicSpecs(topics, runtime.topics.partitions, { retentionMs: runtime.topicRetentionMs }));
    } catch (error) {
      if (error instanceof TopicMismatchError) throw new CliError(error.message);
      throw error;
    }
    const existing = await store.versions(options.model);
    deps.stderr.write(
      `Training ${options.model} on ${read.rows.length} rows of ${options.data}` +
        (existing.length ? ` (the store already holds version${existing.length > 1 ? 's' : ''} ${existing.join(', ')}; the new one replaces the champion without a gate)` : '') +
        '...\n',
    );
    try {
      result = await bootstrapModel({
        bus,
        codec: new Codec(),
        topics,
        store,
        model: options.model,
        examples: read.rows,
        policy,
        logger,
        minExamplesSource,
      });
    } catch (error) {
      if (error instanceof BootstrapRefusedError) throw new CliError(`cannot train ${options.model} from ${options.data}: ${error.message}`);
      if (error instanceof BootstrapPublishError) throw new CliError(error.message);
      if (error instanceof VersionExistsError) throw new CliError(`${error.message} (another train or retrain stored it meanwhile; run again)`);
      throw error;
    }
  } finally {
    await bus.close();
  }

  if (options.json) deps.stdout.write(`${JSON.stringify(jsonOf(result, options, read.rows.length, topics.models), null, 2)}\n`);
  else deps.stdout.write(textOf(result, options, read.rows.length, topics.models));
  if (result.outcome.decision !== 'PROMOTED') {
    throw new CliError(`version ${result.manifest.version} of ${options.model} was not promoted: ${result.outcome.reason ?? 'no reason given'}`);
  }
}

function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv): { config: MonitoringConfig; source: string | null } {
  try {
    const config = loadMonitoringConfig({ ...(path !== undefined ? { path } : {}), env });
    const source = path ?? env[MONITORING_CONFIG_ENV] ?? (env[MONITORING_CONFIG_JSON_ENV] ? MONITORING_CONFIG_JSON_ENV : null);
    return { config, source };
  } catch (error) {
    if (error instanceof MonitoringConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Which setting decided minExamples, for the refusal message. */
export function describeMinExamples(monitoring: { config: MonitoringConfig; source: string | null }, model: string): string {
  const where = monitoring.source === null ? '' : ` in ${monitoring.source}`;
  if (monitoring.config.models[model]?.retrain?.minExamples !== undefined) return `models.${model}.retrain.minExamples${where}`;
  if (monitoring.config.defaults.retrain?.minExamples !== undefined) return `defaults.retrain.minExamples${where}`;
  return `retrain.minExamples, the built-in default; lower it under models.${model}.retrain in the monitoring config (--config)`;
}

function openStore(env: NodeJS.ProcessEnv): ModelStore {
  try {
    return modelStoreFromEnv(env);
  } catch (error) {
    throw new CliError(`cannot open the model store (DW_MODEL_STORE=${env.DW_MODEL_STORE ?? ''}): ${(error as Error).message}`);
  }
}

// ---- output --------------------------------------------------------------------------------

function time(ms: number, order: BootstrapResult['order']): string {
  return order === 'event time' ? new Date(ms).toISOString() : `row ${ms + 1}`;
}

function number(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return Number.isInteger(value) && digits === 4 ? String(value) : value.toFixed(digits);
}

function textOf(result: BootstrapResult, options: TrainOptions, rows: number, topic: string): string {
  const { manifest, outcome, order } = result;
  const metric = outcome.metric;
  const split = manifest.split;
  const part = (name: string, p: { size: number; from: number; to: number }) => `  ${name.padEnd(10)}  ${String(p.size).padStart(7)}  ${time(p.from, order)} .. ${time(p.to, order)}`;
  let text =
    `${outcome.decision === 'PROMOTED' ? 'Promoted' : 'Stored, not promoted:'} ${manifest.model} version ${manifest.version}` +
    ` (${rows} rows of ${options.data}; ${result.classes.map((c) => `${c.label}: ${c.count}`).join(', ')})\n` +
    `  ${order === 'event time' ? 'time-ordered by event time' : 'no times in the file: the file order is the time order'}; backend ${manifest.backend}\n` +
    `  artifact ${result.event.artifactUri}\n` +
    `  event    ${result.event.status} on ${topic}\n\n` +
    `Split (oldest train, newest test):\n${part('train', split.train)}\n${part('validation', split.validation)}\n${part('test', split.test)}\n\n`;

  const names = Object.keys(manifest.metrics.test).sort((a, b) => (a === metric ? -1 : b === metric ? 1 : a < b ? -1 : 1));
  text +=
    `Test metrics (promotion metric ${metric}):\n` +
    table(['METRIC', 'TEST', 'TRAIN'], names.map((n) => [n, number(manifest.metrics.test[n]), number(manifest.metrics.train[n])]))
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n') +
    '\n';

  const chosen = manifest.hyperparameters;
  text +=
    `Search (validation ${metric}; * chosen):\n` +
    table(
      ['', 'LEARNING RATE', 'EPOCHS', 'L2', `VAL ${metric.toUpperCase()}`, 'VAL LOSS', 'STOPPED AT', 'SECONDS'],
      outcome.search.map((row) => [
        row.learningRate === chosen.learningRate && row.epochs === chosen.epochs && row.l2 === chosen.l2 ? '*' : '',
        String(row.learningRate),
        String(row.epochs),
        String(row.l2),
        number(row.validationMetric),
        number(row.validationLoss),
        String(row.stoppedEpoch),
        number(row.seconds, 1),
      ]),
    )
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n') +
    '\n';

  const full = manifest.variants.find((v) => v.precision === 'float32');
  text +=
    `Variants (parity on the test split):\n` +
    table(
      ['PRECISION', 'BYTES', 'CLASS AGREEMENT', 'METRIC DELTA', 'KEPT'],
      [
        ['float32', String(full?.bytes ?? '-'), '-', '-', 'yes (the model)'],
        ...outcome.variants.map((v) => [v.precision, String(v.bytes), number(v.classAgreement), number(v.metricDelta), v.kept ? 'yes' : `no: ${v.reason ?? ''}`]),
      ],
    )
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n');
  if (outcome.decision !== 'PROMOTED') text += `\nNot promoted: ${outcome.reason ?? ''}\n`;
  return text;
}

function jsonOf(result: BootstrapResult, options: TrainOptions, rows: number, topic: string) {
  const { manifest, outcome } = result;
  return {
    model: manifest.model,
    version: manifest.version,
    status: outcome.decision,
    reason: outcome.reason,
    data: options.data,
    rows,
    classes: result.classes,
    order: result.order,
    metric: outcome.metric,
    metrics: manifest.metrics,
    split: manifest.split,
    hyperparameters: manifest.hyperparameters,
    search: outcome.search,
    variants: outcome.variants,
    backend: manifest.backend,
    artifactUri: result.event.artifactUri,
    topic,
  };
}

// ---- registration --------------------------------------------------------------------------

const formatOption = (text: string): RecordFormat => {
  if (!RECORD_FORMATS.includes(text as RecordFormat)) throw new InvalidArgumentError(`must be one of ${RECORD_FORMATS.join(', ')}`);
  return text as RecordFormat;
};

/** Adds `train` to the program. */
export function registerTrainCommand(program: Command, deps: TrainCommandDeps): void {
  program
    .command('train')
    .description("Train a model's first version from a labelled file, store it and publish it PROMOTED (the bootstrap).")
    .requiredOption('--data <file>', 'labelled rows: CSV with a header, or JSON Lines ({"features": {...}, "label": ..., "time": ...} or flat objects)')
    .requiredOption('--model <name>', 'the model name (as upstream apps log it)')
    .option('--label-column <name>', 'the label column or field', 'label')
    .option('--time-column <name>', 'the event-time column or field, epoch ms or ISO-8601 (default: time, when present; without times the file order is the time order)')
    .option('--config <file>', 'monitoring config (JSON or YAML) with the retrain policy (default DW_MONITORING_CONFIG, else the defaults)')
    .option('--format <format>', 'jsonl or csv (default: by extension, .csv = csv, else jsonl)', formatOption)
    .option('--json', 'machine-readable output')
    .action((options: TrainOptions, command: Command) => train(deps, options, command));
}
