// The `driftwatch` command line. Built by a factory so tests can drive it with their own
// streams and replay implementation; main.ts wires in the process and the embedded services.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { ReplayProgress, RunReplay } from '../../shared/report/replay.js';
import type { Report } from '../../shared/report/types.js';
import { writeReport } from '../../shared/report/write.js';
import { generateScenario, type ScenarioOptions } from '../../shared/sim/scenario.js';
import { registerIncidentsCommand } from './incidents-command.js';
import { InputError } from './input-error.js';
import { registerModelsCommands } from './models-command.js';
import { createProgress } from './progress.js';
import { detectFormat, inputSize, readLabels, readPredictions, RECORD_FORMATS, type RecordFormat } from './read-records.js';
import { registerRetrainCommand } from './retrain-command.js';
import { registerTrainCommand } from './train-command.js';
import { registerAlertsCommands } from './alerts-command.js';
import { registerProduceCommand } from './produce-command.js';
import { registerServiceCommand } from './service-command.js';
import { registerStartCommand } from './start-command.js';
import { registerStatusCommand } from './status-command.js';
import { writeLabels, writePredictions } from './write-records.js';

/** A failure to report as one line on stderr, with exit code 1 (usage errors exit 2 via commander). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface CliStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export interface CliDeps extends CliStreams {
  /** Resolves the replay implementation only when `replay` runs, so `generate` works without it. */
  loadRunReplay: () => Promise<RunReplay>;
  signal?: AbortSignal;
}

const integer = (name: string, min: number) => (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return value;
};

const share = (text: string): number => {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError('must be a number in [0, 1]');
  return value;
};

const positive = (text: string): number => {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError('must be a positive number');
  return value;
};

const delayRange = (text: string): [number, number] => {
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts[0]! > parts[1]!) {
    throw new InvalidArgumentError('must be MIN,MAX milliseconds with 0 <= MIN <= MAX');
  }
  return [parts[0]!, parts[1]!];
};

const format = (text: string): RecordFormat => {
  if (!RECORD_FORMATS.includes(text as RecordFormat)) throw new InvalidArgumentError(`must be one of ${RECORD_FORMATS.join(', ')}`);
  return text as RecordFormat;
};

/** Remembers the first error the iteration threw, in case the replay wraps or replaces it. */
function watched<T>(source: AsyncIterable<T>, onRecord: () => void, onError: (error: unknown) => void): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for await (const record of source) {
          onRecord();
          yield record;
        }
      } catch (error) {
        onError(error);
        throw error;
      }
    },
  };
}

interface ReplayOptions {
  predictions: string;
  labels: string;
  config?: string;
  out: string;
  format?: RecordFormat;
}

async function replay(deps: CliDeps, options: ReplayOptions): Promise<void> {
  const predictionFormat = detectFormat(options.predictions, options.format);
  const labelFormat = detectFormat(options.labels, options.format);
  const sizes = [await inputSize(options.predictions), await inputSize(options.labels)];
  if (options.config !== undefined) {
    await access(options.config, constants.R_OK).catch((error: Error) => {
      throw new InputError(options.config!, null, `cannot read: ${error.message}`);
    });
  }
  const runReplay = await deps.loadRunReplay();

  const progress = createProgress(deps.stdout, sizes[0]! + sizes[1]!);
  const bytesRead = [0, 0];
  const counts = { predictions: 0, labels: 0 };
  let inputError: unknown = null;
  const remember = (error: unknown) => {
    inputError ??= error;
  };
  const onBytes = (which: 0 | 1) => (bytes: number) => {
    bytesRead[which] = bytes;
    progress.bytes(bytesRead[0]! + bytesRead[1]!);
  };
  const predictions = watched(
    readPredictions(options.predictions, { format: predictionFormat, onBytes: onBytes(0) }),
    () => counts.predictions++,
    remember,
  );
  const labels = watched(readLabels(options.labels, { format: labelFormat, onBytes: onBytes(1) }), () => counts.labels++, remember);

  const started = Date.now();
  let report: Report;
  try {
    report = await runReplay({
      predictions,
      labels,
      ...(options.config !== undefined ? { config: options.config } : {}),
      sources: { predictions: options.predictions, labels: options.labels },
      onProgress: (p: ReplayProgress) => progress.update(p),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  } catch (error) {
    progress.stop();
    if (inputError instanceof InputError) throw inputError;
    throw new CliError(`replay failed: ${(error as Error).message}`);
  }
  progress.update({ stage: 'writing report', ...counts });
  const written = await writeReport(options.out, report);
  progress.update({ stage: 'done' });
  progress.stop();

  const windows = report.models.reduce((n, m) => n + m.windows.length, 0);
  const alerts = report.models.reduce((n, m) => n + m.alerts.length, 0);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  deps.stdout.write(
    `Replayed ${report.run.counts.predictions} predictions and ${report.run.counts.labels} labels in ${seconds} s: ` +
      `${report.models.length} model(s), ${windows} window evaluations, ${alerts} alert transitions.\n` +
      `Wrote ${written.json}\n  and ${written.html}\n`,
  );
}

interface GenerateOptions {
  seed: number;
  count: number;
  shiftAt?: number;
  recoverAt?: number;
  noShift?: boolean;
  eventsPerSecond?: number;
  labelDelay?: [number, number];
  unlabelledShare?: number;
  format: RecordFormat;
  out: string;
}

async function generate(deps: CliDeps, options: GenerateOptions): Promise<void> {
  const scenarioOptions: ScenarioOptions = { seed: options.seed, count: options.count };
  if (options.shiftAt !== undefined) scenarioOptions.shiftAt = options.shiftAt;
  if (options.noShift) scenarioOptions.shiftAt = null;
  if (options.recoverAt !== undefined) scenarioOptions.recoverAt = options.recoverAt;
  if (options.eventsPerSecond !== undefined) scenarioOptions.eventsPerSecond = options.eventsPerSecond;
  if (options.labelDelay !== undefined) scenarioOptions.labelDelayMs = options.labelDelay;
  if (options.unlabelledShare !== undefined) scenarioOptions.unlabelledShare = options.unlabelledShare;
  let scenario;
  try {
    scenario = generateScenario(scenarioOptions);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  await mkdir(options.out, { recursive: true });
  const predictionsPath = join(options.out, `predictions.${options.format}`);
  const labelsPath = join(options.out, `labels.${options.format}`);
  await writePredictions(predictionsPath, scenario.predictions, options.format);
  await writeLabels(labelsPath, scenario.labels, options.format);
  const summary = {
    generator: 'shared/sim/scenario.ts',
    parameters: scenario.parameters,
    changePointTime: scenario.changePointTime,
    recoveryTime: scenario.recoveryTime,
    predictions: scenario.predictions.length,
    labels: scenario.labels.length,
    files: { predictions: basename(predictionsPath), labels: basename(labelsPath) },
  };
  await writeFile(join(options.out, 'scenario.json'), `${JSON.stringify(summary, null, 2)}\n`);
  deps.stdout.write(
    `Wrote ${scenario.predictions.length} predictions to ${predictionsPath}\n` +
      `  and ${scenario.labels.length} labels to ${labelsPath} (parameters in scenario.json).\n`,
  );
}

export function createProgram(deps: CliDeps): Command {
  const program = new Command('driftwatch')
    .description(
      'Streaming model monitor: run the services (start, service), feed them (produce), watch them (alerts tail, status), ' +
        'replay files into a drift and performance report, manage models and retrains.',
    )
    .configureOutput({
      writeOut: (text) => deps.stdout.write(text),
      writeErr: (text) => deps.stderr.write(text),
    })
    .showHelpAfterError()
    .exitOverride();

  program
    .command('replay')
    .description('Run the monitoring services over prediction and label files; write report.json and report.html.')
    .requiredOption('--predictions <file>', 'prediction records (JSONL or CSV)')
    .requiredOption('--labels <file>', 'label records (JSONL or CSV)')
    .option('--config <file>', 'monitoring config (JSON or YAML); defaults are inferred without it')
    .requiredOption('--out <dir>', 'directory for report.json and report.html')
    .option('--format <format>', 'input format of both files (default: by extension, .csv = csv, else jsonl)', format)
    .action((options: ReplayOptions) => replay(deps, options));

  program
    .command('generate')
    .description('Write a seeded churn scenario (a feature shift and error rise at a known point) for trying replay.')
    .option('--seed <n>', 'random seed', integer('seed', 0), 1)
    .option('--count <n>', 'number of predictions', integer('count', 0), 50_000)
    .option('--shift-at <index>', 'index of the first shifted prediction (default: count / 2)', integer('shift-at', 0))
    .option('--no-shift', 'a stream without a change point')
    .option('--recover-at <index>', 'index where the stream returns to normal', integer('recover-at', 0))
    .option('--events-per-second <n>', 'predictions per second of event time (default 50)', positive)
    .option('--label-delay <min,max>', 'label delay range in ms of event time (default 5000,60000)', delayRange)
    .option('--unlabelled-share <p>', 'share of predictions never labelled (default 0)', share)
    .option('--format <format>', 'jsonl or csv', format, 'jsonl' as RecordFormat)
    .requiredOption('--out <dir>', 'output directory')
    .action((options: GenerateOptions & { shift?: boolean }) =>
      generate(deps, { ...options, noShift: options.shift === false }),
    );

  registerModelsCommands(program, deps);
  registerRetrainCommand(program, deps);
  registerIncidentsCommand(program, deps);
  registerTrainCommand(program, deps);
  registerStartCommand(program, deps);
  registerServiceCommand(program, deps);
  registerProduceCommand(program, deps);
  registerAlertsCommands(program, deps);
  registerStatusCommand(program, deps);

  return program;
}
