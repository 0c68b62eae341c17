// `driftwatch train` (the bootstrap) against the real Kafka broker with a temp model store:
// through the program factory (exit codes as main.ts maps them), and once through the real
// binary. The data is a learnable synthetic concept (SEA: class "1" when x1 + x2 ≤ 8).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type ModelEvent } from '../../shared/codec/index.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { createConcept } from '../../shared/sim/concepts/index.js';
import { createPrng } from '../../shared/sim/prng.js';
import { labelledSample, type TimedLabelledRow } from '../../shared/sim/simulation.js';
import { topicNames, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokers, uniqueName } from '../setup/env.js';
import { runCli, runCliBinary } from '../support/cli.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const prefix = `${uniqueName('train-cli')}.`;
const topics: TopicNames = topicNames(prefix);
const dir = mkdtempSync(join(tmpdir(), 'dw-train-cli-'));
const storeDir = join(dir, 'store');
const store = new LocalModelStore(storeDir);
let bus: KafkaBus;

/** A small grid keeps the factory runs quick; the binary run uses the default policy. */
const configPath = join(dir, 'monitoring.yaml');
writeFileSync(configPath, 'defaults:\n  retrain:\n    grid:\n      learningRate: [0.01]\n      epochs: [15]\n      l2: [0]\n');

function sample(n: number, seed: number): TimedLabelledRow[] {
  const concept = createConcept({ kind: 'sea', variant: 0 });
  const rng = createPrng(seed);
  return labelledSample({ next: () => ({ done: false, value: concept.sample(rng) }) }, n, { startTime: Date.parse('2025-03-01T00:00:00Z'), rate: 10 });
}

function writeCsv(name: string, rows: readonly TimedLabelledRow[]): string {
  const path = join(dir, name);
  const lines = ['x1,x2,x3,label,time', ...rows.map((r) => `${r.features.x1},${r.features.x2},${r.features.x3},${r.label},${r.time}`)];
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: kafkaBrokers(),
    DW_TOPIC_PREFIX: prefix,
    DW_TOPIC_PARTITIONS: '2',
    DW_MODEL_STORE: storeDir,
    DW_MONITORING_CONFIG: undefined,
    DW_MONITORING_CONFIG_JSON: undefined,
    LOG_LEVEL: 'silent',
    ...extra,
  };
}

/** Runs the CLI through the program factory; the exit code is the one main.ts would return. */
const run = (args: string[]) => runCli(args, env());

async function modelEvents(): Promise<{ key: string | null; event: ModelEvent }[]> {
  const events: { key: string | null; event: ModelEvent }[] = [];
  await bus.readFrom(topics.models, 0, (batch) => {
    for (const m of batch) events.push({ key: m.key?.toString() ?? null, event: codec.decode('model', m.value, m.headers) });
  });
  return events;
}

beforeAll(async () => {
  // The command creates the topics itself (as the services would); this bus only reads.
  bus = await KafkaBus.connect({ brokers: kafkaBrokers().split(','), logger });
});

afterAll(async () => {
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('driftwatch train', () => {
  it('trains version 1 from a CSV, stores it and publishes PROMOTED with the training profile and metrics', async () => {
    const data = writeCsv('sea.csv', sample(1000, 21));
    const result = await run(['train', '--data', data, '--model', 'sea', '--config', configPath]);
    expect(result.stderr).toBe('Training sea on 1000 rows of ' + data + '...\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Promoted sea version 1 \(1000 rows of .+sea\.csv; [01]: \d+, [01]: \d+\)\n/);
    expect(result.stdout).toMatch(/\n {2}time-ordered by event time; backend \w+\n/);
    expect(result.stdout).toMatch(/\n {2}train +600 +2025-03-01T00:00:00\.000Z \.\. /);
    expect(result.stdout).toMatch(/\nTest metrics \(promotion metric accuracy\):\n {2}METRIC +TEST +TRAIN\n {2}accuracy +0\.\d{4}/);
    expect(result.stdout).toMatch(/\nSearch \(validation accuracy; \* chosen\):\n.*LEARNING RATE +EPOCHS +L2 +VAL ACCURACY +VAL LOSS +STOPPED AT +SECONDS\n {2}\* +0\.01 +15 +0 /);
    expect(result.stdout).toMatch(/\nVariants \(parity on the test split\):\n.*PRECISION +BYTES +CLASS AGREEMENT +METRIC DELTA +KEPT\n {2}float32 +\d+ /);

    const manifest = await store.manifest('sea', '1');
    expect(manifest).toMatchObject({ model: 'sea', version: '1', parentVersion: null, classes: ['0', '1'] });
    expect(manifest.featureSpec.columns.map((c) => [c.name, c.kind])).toEqual([
      ['x1', 'numeric'],
      ['x2', 'numeric'],
      ['x3', 'numeric'],
    ]);
    expect(manifest.split.train).toMatchObject({ size: 600, from: Date.parse('2025-03-01T00:00:00Z') });
    expect(manifest.metrics.test.accuracy).toBeGreaterThan(0.85);

    const events = await modelEvents();
    expect(events).toHaveLength(1);
    const [{ key, event }] = events as [{ key: string | null; event: ModelEvent }];
    expect(key).toBe('sea');
    expect(event).toMatchObject({
      model: 'sea',
      version: '1',
      status: 'PROMOTED',
      parentVersion: null,
      artifactUri: store.uri('sea', '1'),
      trigger: { kind: 'MANUAL', alertId: null },
      trainingSize: 600,
      reason: null,
      metric: 'accuracy',
      incidentId: null,
      fencingToken: null,
      backend: manifest.backend,
    });
    expect(event.referenceProfile.map((p) => p.feature).sort()).toEqual(['@prediction', 'x1', 'x2', 'x3']);
    expect(event.referenceProfile).toEqual(manifest.trainingProfile);
    expect(event.challengerMetrics).toEqual(manifest.metrics.test);
    expect(event.variants[0]).toMatchObject({ precision: 'FLOAT32', artifactUri: `${store.uri('sea', '1')}#model.json` });
  });

  it('refuses too few rows with the count and the setting (exit 1); nothing is stored or published', async () => {
    const data = writeCsv('small.csv', sample(120, 22));
    const result = await run(['train', '--data', data, '--model', 'sea', '--config', configPath]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      `driftwatch: cannot train sea from ${data}: only 120 labelled rows; training needs at least 500 ` +
        '(retrain.minExamples, the built-in default; lower it under models.sea.retrain in the monitoring config (--config))\n',
    );
    expect(await store.versions('sea')).toEqual(['1']);
    expect(await modelEvents()).toHaveLength(1);
  });

  it('fails on a bad row with file and line (exit 1) and on usage errors (exit 2)', async () => {
    const data = join(dir, 'bad.csv');
    writeFileSync(data, 'x1,label\n1,a\n2\n');
    expect(await run(['train', '--data', data, '--model', 'sea'])).toMatchObject({ code: 1, stderr: `driftwatch: ${data}:3: expected 2 columns, got 1\n` });
    expect((await run(['train', '--model', 'sea'])).code).toBe(2);
    expect((await run(['train', '--data', data, '--model', 'sea', '--format', 'xml'])).code).toBe(2);
    expect((await run(['train', '--data', data, '--model', 'a/b'])).code).toBe(2);
    expect((await run(['train', '--data', data, '--model', 'sea', '--label-column', 'time'])).code).toBe(2);
  });

  it('the real binary trains from JSON Lines with the default policy and prints JSON', async () => {
    const data = join(dir, 'sea.jsonl');
    writeFileSync(data, sample(800, 23).map((r) => JSON.stringify({ features: r.features, label: r.label, time: r.time })).join('\n') + '\n');
    const cli = (args: string[]) => runCliBinary(args, env());
    const result = await cli(['train', '--data', data, '--model', 'sea-jsonl', '--json']);
    expect(result.stderr).toBe(`Training sea-jsonl on 800 rows of ${data}...\n`);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(output).toMatchObject({ model: 'sea-jsonl', version: '1', status: 'PROMOTED', rows: 800, order: 'event time', metric: 'accuracy' });
    expect((output.search as unknown[]).length).toBe(8); // the default grid: 2 × 2 × 2
    expect((await store.manifest('sea-jsonl', '1')).metrics.test.accuracy).toBeGreaterThan(0.85);
    const promoted = (await modelEvents()).filter((e) => e.event.model === 'sea-jsonl');
    expect(promoted.map((e) => [e.key, e.event.status, e.event.version])).toEqual([['sea-jsonl', 'PROMOTED', '1']]);
  }, 180_000);
});
