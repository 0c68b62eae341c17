// `driftwatch alerts tail`: follows the alerts topic through the SDK's AlertSubscriber (a fresh
// consumer group, so it takes nothing from anyone) and prints one line per alert transition,
// or one JSON object per line with --json. Ctrl-C ends it with status 0: stopping a tail is
// not a failure. --max and --timeout bound it for scripts.
import { InvalidArgumentError, type Command } from 'commander';
import { UnknownTopicError } from '../../shared/bus/errors.js';
import type { AlertKind, Severity } from '../../shared/codec/events.generated.js';
import { createLogger } from '../../shared/log/logger.js';
import { AlertSubscriber } from '../../shared/sdk/alert-subscriber.js';
import { topicNames } from '../../shared/topics.js';
import { alertLine } from './alert-line.js';
import { connectBus } from './connect-bus.js';
import { CliError, type CliStreams } from './program.js';

export interface AlertsCommandDeps extends CliStreams {
  env?: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (main.ts). */
  signal?: AbortSignal;
}

interface TailOptions {
  model?: string[];
  kind?: AlertKind[];
  minSeverity?: Severity;
  fromBeginning?: boolean;
  json?: boolean;
  max?: number;
  timeout?: number;
}

const positiveInteger = (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return value;
};

const positiveSeconds = (text: string): number => {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError('must be a positive number of seconds');
  return value;
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const KINDS: readonly AlertKind[] = ['DATA_DRIFT', 'PREDICTION_DRIFT', 'PERFORMANCE', 'CONCEPT_DRIFT', 'DATA_QUALITY'];
const SEVERITIES: readonly Severity[] = ['INFO', 'WARNING', 'CRITICAL'];

const collectKind = (value: string, previous: AlertKind[] = []): AlertKind[] => {
  const kind = value.toUpperCase() as AlertKind;
  if (!KINDS.includes(kind)) throw new InvalidArgumentError(`must be one of ${KINDS.join(', ')}`);
  return [...previous, kind];
};

const severity = (value: string): Severity => {
  const level = value.toUpperCase() as Severity;
  if (!SEVERITIES.includes(level)) throw new InvalidArgumentError(`must be one of ${SEVERITIES.join(', ')}`);
  return level;
};

async function tail(deps: AlertsCommandDeps, options: TailOptions): Promise<void> {
  // Without --from-beginning: every alert published from now on, including those published
  // while the consumer is still joining its group (by the messages' timestamps).
  const startedAt = Date.now();
  const env = deps.env ?? process.env;
  const { bus, runtime } = await connectBus(env, 'fatal');
  const topics = topicNames(runtime.topics.prefix);
  const subscriber = new AlertSubscriber({
    bus,
    topics,
    ...(options.fromBeginning ? { fromBeginning: true } : { fromTime: startedAt }),
    filter: {
      ...(options.model?.length ? { model: options.model } : {}),
      ...(options.kind?.length ? { kind: options.kind } : {}),
      ...(options.minSeverity ? { minSeverity: options.minSeverity } : {}),
    },
    // Skipped (undecodable) messages are worth a line on stderr; stdout is the alerts.
    logger: createLogger('driftwatch-cli', { level: env.LOG_LEVEL ?? 'warn', destination: process.stderr }),
  });
  // An object: set from callbacks, which TypeScript's narrowing does not follow.
  const ended: { by: 'interrupt' | 'timeout' | 'max' | null } = { by: null };
  const stop = (why: 'interrupt' | 'timeout') => {
    ended.by ??= why;
    void subscriber.close();
  };
  const onAbort = () => stop('interrupt');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = options.timeout === undefined ? undefined : setTimeout(() => stop('timeout'), options.timeout * 1000);
  let seen = 0;
  try {
    try {
      await subscriber.start();
    } catch (error) {
      if (error instanceof UnknownTopicError) {
        throw new CliError(`${error.message} (is DW_TOPIC_PREFIX right? the services create the topics when they start)`);
      }
      throw error;
    }
    deps.stderr.write(
      `driftwatch: following ${topics.alerts}${options.fromBeginning ? ' from the beginning' : ''}` +
        `${options.model?.length ? ` for ${options.model.join(', ')}` : ''} (Ctrl-C stops)\n`,
    );
    for await (const alert of subscriber) {
      seen++;
      deps.stdout.write(options.json ? `${JSON.stringify(alert)}\n` : `${alertLine(alert)}\n`);
      if (options.max !== undefined && seen >= options.max) {
        ended.by = 'max';
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onAbort);
    await subscriber.close();
    await bus.close();
  }
  if (ended.by === 'timeout' && options.max !== undefined) {
    throw new CliError(`timed out after ${options.timeout} s with ${seen} of the ${options.max} alerts asked for`);
  }
}

/** Adds `alerts tail` to the program. */
export function registerAlertsCommands(program: Command, deps: AlertsCommandDeps): void {
  const alerts = program.command('alerts').description('Alerts as the monitors publish them.');
  alerts
    .command('tail')
    .description('Follow the alerts topic: one line per alert transition (time, model, version, kind, status, severity, metric[feature], value vs threshold).')
    .option('--model <name>', 'only this model (repeat for several)', collect)
    .option('--kind <kind>', `only this kind (repeat for several): ${KINDS.join(', ')}`, collectKind)
    .option('--min-severity <level>', `only alerts at least this severe: ${SEVERITIES.join(' < ')}`, severity)
    .option('--from-beginning', 'start with the oldest alert the topic keeps, not only new ones')
    .option('--json', 'one JSON object per alert (JSON Lines) instead of text')
    .option('--max <n>', 'stop after n alerts', positiveInteger)
    .option('--timeout <s>', 'stop after s seconds', positiveSeconds)
    .addHelpText(
      'after',
      '\nExit codes: 0 stopped by Ctrl-C, by --timeout, or after --max alerts; 1 when --max alerts did not come within --timeout, ' +
        'or Kafka is unreachable or has no alerts topic; 2 usage.',
    )
    .action((options: TailOptions) => tail(deps, options));
}
