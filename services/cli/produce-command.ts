// `driftwatch produce`: publishes predictions and labels through the SDK client
// (DriftwatchClient) to the topics of KAFKA_BROKERS / DW_TOPIC_PREFIX: the seeded churn
// scenario, or a JSON Lines file. A file is checked whole before anything is sent, so a bad
// line publishes nothing; a Kafka failure midway says how many events were already confirmed.
import { InvalidArgumentError, type Command } from 'commander';
import { Codec } from '../../shared/codec/index.js';
import { DriftwatchClient } from '../../shared/sdk/client.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { connectBus, loadCliRuntimeConfig } from './connect-bus.js';
import { InputError } from './input-error.js';
import { fileEvents, scenarioEvents, type Delivery } from './produce-events.js';
import { CliError, type CliStreams } from './program.js';

export interface ProduceCommandDeps extends CliStreams {
  env?: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (main.ts): stops between batches, saying how many were confirmed. */
  signal?: AbortSignal;
}

interface ProduceOptions {
  file?: string;
  count: number;
  seed: number;
  model: string;
  shiftAt?: number;
  shift?: boolean;
  unlabelledShare?: number;
  batch: number;
  json?: boolean;
}

const integer = (min: number) => (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return value;
};

const share = (text: string): number => {
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError('must be a number in [0, 1]');
  return value;
};

/** Reads the whole file once to check every line; the counts it holds. */
async function checkFile(path: string, codec: Codec): Promise<{ predictions: number; labels: number }> {
  const counts = { predictions: 0, labels: 0 };
  try {
    for await (const event of fileEvents(path, codec)) counts[event.kind === 'prediction' ? 'predictions' : 'labels']++;
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.file, error.line, `${error.detail} (nothing was published)`);
    throw error;
  }
  return counts;
}

async function produce(deps: ProduceCommandDeps, options: ProduceOptions): Promise<void> {
  const env = deps.env ?? process.env;
  const settings = loadCliRuntimeConfig(env);
  // The services' own limit on event times ahead of the clock, so what passes here passes there.
  const codec = new Codec({ validation: { maxEventSkewMs: settings.maxEventSkewMs } });
  let events: Iterable<Delivery> | AsyncIterable<Delivery>;
  let expected: { predictions: number; labels: number };
  if (options.file !== undefined) {
    expected = await checkFile(options.file, codec);
    events = fileEvents(options.file, codec);
  } else {
    let scenario: Delivery[];
    try {
      scenario = scenarioEvents({
        count: options.count,
        seed: options.seed,
        model: options.model,
        ...(options.shift === false ? { shiftAt: null } : options.shiftAt !== undefined ? { shiftAt: options.shiftAt } : {}),
        ...(options.unlabelledShare !== undefined ? { unlabelledShare: options.unlabelledShare } : {}),
      });
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    events = scenario;
    expected = { predictions: scenario.filter((e) => e.kind === 'prediction').length, labels: scenario.filter((e) => e.kind === 'label').length };
  }

  // kafkajs logs the retries it recovers from (a new topic's "not the leader") at error level;
  // a failure that stays is this command's own one-line error. LOG_LEVEL shows them anyway.
  const { bus, runtime } = await connectBus(env, 'fatal');
  const topics = topicNames(runtime.topics.prefix);
  const sent = { predictions: 0, labels: 0 };
  try {
    // Producing before the services ever ran: the topics as the services would create them.
    await bus.ensureTopics(topicSpecs(topics, runtime.topics.partitions, { retentionMs: runtime.topicRetentionMs }));
    const client = new DriftwatchClient({ bus, topics, codec });
    const predictions: PredictionRecord[] = [];
    const labels: LabelRecord[] = [];
    const flush = async (): Promise<void> => {
      if (predictions.length) await client.logPredictions(predictions);
      sent.predictions += predictions.splice(0).length;
      if (labels.length) await client.logLabels(labels);
      sent.labels += labels.splice(0).length;
    };
    for await (const event of events) {
      if (event.kind === 'prediction') predictions.push(event.record);
      else labels.push(event.record);
      if (predictions.length + labels.length >= options.batch) {
        await flush();
        if (deps.signal?.aborted) {
          deps.stderr.write(`driftwatch: interrupted after ${sent.predictions} predictions and ${sent.labels} labels were confirmed\n`);
          throw new CliError('interrupted');
        }
      }
    }
    await flush();
  } catch (error) {
    if (error instanceof InputError) throw error;
    const total = expected.predictions + expected.labels;
    throw new CliError(
      `publishing failed after ${sent.predictions} predictions and ${sent.labels} labels of ${total} events were confirmed: ${(error as Error).message}`,
    );
  } finally {
    await bus.close();
  }
  if (sent.predictions !== expected.predictions || sent.labels !== expected.labels) {
    throw new CliError(`${options.file} changed while it was published: checked ${expected.predictions}/${expected.labels}, sent ${sent.predictions}/${sent.labels}`);
  }
  if (options.json) {
    deps.stdout.write(`${JSON.stringify({ predictions: sent.predictions, labels: sent.labels, topics: { predictions: topics.predictions, labels: topics.labels } })}\n`);
  } else {
    deps.stdout.write(`Published ${sent.predictions} predictions to ${topics.predictions} and ${sent.labels} labels to ${topics.labels}.\n`);
  }
}

/** Adds `produce` to the program. */
export function registerProduceCommand(program: Command, deps: ProduceCommandDeps): void {
  program
    .command('produce')
    .description(
      'Publish predictions and labels to the topics of KAFKA_BROKERS / DW_TOPIC_PREFIX through the SDK client: ' +
        'the seeded churn scenario (a shift of `spend` halfway), or a JSON Lines file.',
    )
    .option('--file <jsonl>', 'publish this file instead: one prediction or label per line (a line with predictionId, or "type": "label", is a label)')
    .option('--count <n>', 'scenario: number of predictions, the last one timed now', integer(0), 1_000)
    .option('--seed <n>', 'scenario: random seed', integer(0), 1)
    .option('--model <name>', 'scenario: model name', 'churn')
    .option('--shift-at <index>', 'scenario: index of the first shifted prediction (default count / 2)', integer(0))
    .option('--no-shift', 'scenario: no change point')
    .option('--unlabelled-share <p>', 'scenario: share of predictions never labelled (default 0)', share)
    .option('--batch <n>', 'events per publish call', integer(1), 500)
    .option('--json', 'print the counts as JSON')
    .addHelpText(
      'after',
      '\nFile lines are the SDK\'s records, as `driftwatch generate` writes them:\n' +
        '  {"id":"p1","model":"churn","modelVersion":"1","time":1767225600000,"features":{"spend":70.5,"plan":"pro"},"predictedClass":"yes"}\n' +
        '  {"predictionId":"p1","model":"churn","time":1767225605000,"trueClass":"no"}\n' +
        'Every line is checked (JSON, fields, the codec\'s rules) before anything is sent: a bad line exits 1 naming it, with nothing published.\n' +
        'Exit codes: 0 published; 1 a bad line, Kafka unreachable or a publish failed (the message says how many were confirmed); 2 usage.',
    )
    .action((options: ProduceOptions) => produce(deps, options));
}
