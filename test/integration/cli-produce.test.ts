// `driftwatch produce` through the real built binary against the real broker: the scenario
// and a JSONL file land on the topics (read back and compared), and a file with a bad line
// publishes nothing and names the line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, uniqueName } from '../setup/env.js';
import { killSpawnedClis, runCliBinary, spawnCli } from '../support/cli.js';
import { until } from '../support/until.js';
import { readTopic } from '../support/read-topic.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-produce-cli-'));
let bus: KafkaBus;

const env = (prefix: string): NodeJS.ProcessEnv => ({ ...process.env, KAFKA_BROKERS: kafkaBrokers(), DW_TOPIC_PREFIX: prefix, DW_TOPIC_PARTITIONS: '2' });

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger: pino({ level: 'silent' }) });
});

afterEach(killSpawnedClis);

afterAll(async () => {
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('driftwatch produce (built binary)', () => {
  it('publishes the seeded scenario: every prediction and its label, on the prefix topics', async () => {
    const prefix = `${uniqueName('produce-scenario')}.`;
    const topics = topicNames(prefix);
    const before = Date.now();
    const run = await runCliBinary(['produce', '--count', '300', '--seed', '5', '--model', 'churn-cli', '--unlabelled-share', '0.1'], env(prefix));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const match = /^Published (\d+) predictions to (\S+) and (\d+) labels to (\S+)\.\n$/.exec(run.stdout);
    expect(match?.slice(1)).toEqual(['300', topics.predictions, match?.[3], topics.labels]);

    const predictions = await readTopic(bus, topics.predictions, 'prediction');
    const labels = await readTopic(bus, topics.labels, 'label');
    expect(predictions).toHaveLength(300);
    expect(labels).toHaveLength(Number(match![3]));
    // About a tenth unlabelled, and every label belongs to a published prediction.
    expect(labels.length).toBeGreaterThan(240);
    expect(labels.length).toBeLessThan(300);
    const ids = new Set(predictions.map((p) => p.id));
    expect(labels.every((l) => ids.has(l.predictionId))).toBe(true);
    expect(new Set(predictions.map((p) => p.model))).toEqual(new Set(['churn-cli']));
    // Timed to end now: the last prediction within the run, the first 300/50 s = ~6 s earlier.
    const times = predictions.map((p) => p.eventTime).sort((a, b) => a - b);
    expect(times.at(-1)!).toBeGreaterThanOrEqual(before);
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(5_000);
    expect(predictions[0]!.numericFeatures).toHaveProperty('spend');
  });

  it('publishes a JSONL file of predictions and labels, as written, and prints JSON counts with --json', async () => {
    const prefix = `${uniqueName('produce-file')}.`;
    const topics = topicNames(prefix);
    const file = join(dir, 'events.jsonl');
    const lines = [
      { id: 'p-1', model: 'fraud', modelVersion: '7', time: 1_767_225_600_000, features: { amount: 12.5, country: 'DE', card: true, age: null }, predictedClass: 'ok', probabilities: { ok: 0.9, fraud: 0.1 } },
      { type: 'prediction', id: 'p-2', model: 'fraud', modelVersion: '7', time: '2026-01-01T00:00:01Z', features: { amount: 99 }, predictedValue: 0.25 },
      { predictionId: 'p-1', model: 'fraud', time: 1_767_225_660_000, trueClass: 'fraud' },
      { type: 'label', predictionId: 'p-2', model: 'fraud', time: 1_767_225_661_000, trueValue: 1 },
    ];
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n\n`);
    const run = await runCliBinary(['produce', '--file', file, '--json'], env(prefix));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ predictions: 2, labels: 2, topics: { predictions: topics.predictions, labels: topics.labels } });

    const predictions = (await readTopic(bus, topics.predictions, 'prediction')).sort((a, b) => a.id.localeCompare(b.id));
    expect(predictions).toMatchObject([
      { id: 'p-1', modelVersion: '7', eventTime: 1_767_225_600_000, numericFeatures: { amount: 12.5 }, categoricalFeatures: { country: 'DE' }, booleanFeatures: { card: true }, missingFeatures: ['age'], predictedClass: 'ok' },
      { id: 'p-2', eventTime: 1_767_225_601_000, predictedValue: 0.25, predictedClass: null },
    ]);
    const labels = (await readTopic(bus, topics.labels, 'label')).sort((a, b) => a.predictionId.localeCompare(b.predictionId));
    expect(labels).toMatchObject([
      { predictionId: 'p-1', trueClass: 'fraud' },
      { predictionId: 'p-2', trueValue: 1 },
    ]);
  });

  it('refuses a file with a bad line: exit 1 naming the line and why, and nothing published', async () => {
    const prefix = `${uniqueName('produce-bad')}.`;
    const topics = topicNames(prefix);
    const file = join(dir, 'bad.jsonl');
    const good = { id: 'p-1', model: 'm', modelVersion: '1', time: 1_767_225_600_000, features: { x: 1 }, predictedClass: 'a' };
    // Line 3 is refused by the codec (an event time a year ahead), after two good lines.
    const ahead = { ...good, id: 'p-2', time: Date.now() + 365 * 86_400_000 };
    writeFileSync(file, [good, { predictionId: 'p-1', model: 'm', time: 1_767_225_601_000, trueClass: 'a' }, ahead, good].map((l) => JSON.stringify(l)).join('\n'));
    // The topics exist (as after a service start), so "nothing published" is an empty topic, not a missing one.
    await bus.ensureTopics([topics.predictions, topics.labels].map((topic) => ({ topic, partitions: 1 })));

    const run = await runCliBinary(['produce', '--file', file], env(prefix));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^driftwatch: ${file}:3: .*ahead of the clock.* \\(nothing was published\\)\\n$`));
    expect(await readTopic(bus, topics.predictions, 'prediction')).toEqual([]);
    expect(await readTopic(bus, topics.labels, 'label')).toEqual([]);

    writeFileSync(file, `${JSON.stringify(good)}\n{"id": "p-3", "model": \n`);
    const broken = await runCliBinary(['produce', '--file', file], env(prefix));
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^driftwatch: ${file}:2: not valid JSON .*\\(nothing was published\\)\\n$`));
  });

  it('stops between batches on Ctrl-C, exit 130, saying exactly how many events the topics got', async () => {
    const prefix = `${uniqueName('produce-interrupt')}.`;
    const topics = topicNames(prefix);
    const produce = spawnCli(['produce', '--count', '200000', '--batch', '200'], env(prefix));
    const admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const total = async (topic: string) => {
        const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
        return offsets.reduce((sum, p) => sum + Number(p.high), 0);
      };
      await until('the first batches on the topic', () => total(topics.predictions), (n) => n > 0, 60_000);
      expect(await produce.stop('SIGINT')).toBe(130);
      const match = /driftwatch: interrupted after (\d+) predictions and (\d+) labels were confirmed\n/.exec(produce.stderr());
      expect(match, produce.stderr()).not.toBeNull();
      expect(Number(match![1])).toBeLessThan(200_000);
      expect(await total(topics.predictions)).toBe(Number(match![1]));
      expect(await total(topics.labels)).toBe(Number(match![2]));
      expect(produce.stderr()).toMatch(/driftwatch: interrupted\n$/);
    } finally {
      await admin.disconnect();
    }
  });

  it('exits 2 on a usage error and 1 with one line when Kafka is unreachable', async () => {
    const usage = await runCliBinary(['produce', '--count', '-3'], env('x.'));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("option '--count <n>' argument '-3' is invalid. must be an integer >= 0");
    const down = await runCliBinary(['produce', '--count', '5'], { ...env('x.'), KAFKA_BROKERS: '127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^driftwatch: .*127\.0\.0\.1:1/);
  });
});
