// `driftwatch models list | show | rollback` against the real Kafka broker: through the program
// factory (exit codes as main.ts maps them), and once through the real binary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type ModelEvent, type ModelEventInput, type ModelStatus } from '../../shared/codec/index.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { modelEventKey } from '../../shared/models/model-event-key.js';
import { readModelRegistry } from '../../shared/sdk/models/model-registry.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokers, uniqueName } from '../setup/env.js';
import { runCli, runCliBinary } from '../support/cli.js';
import { corruptFile, storeTinyVersion } from '../support/tiny-models.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const prefix = `${uniqueName('models-cli')}.`;
const topics: TopicNames = topicNames(prefix);
const model = 'churn';
const storeDir = mkdtempSync(join(tmpdir(), 'dw-models-cli-'));
let bus: KafkaBus;
let store: LocalModelStore;

function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, KAFKA_BROKERS: kafkaBrokers(), DW_TOPIC_PREFIX: prefix, DW_MODEL_STORE: storeDir, LOG_LEVEL: 'silent', ...extra };
}

/** Runs the CLI through the program factory; the exit code is the one main.ts would return. */
const run = (args: string[], environment: NodeJS.ProcessEnv = env()) => runCli(args, environment);

function modelEvent(version: string, status: ModelStatus, extra: Partial<ModelEventInput> = {}): ModelEventInput {
  return {
    model,
    version,
    status,
    parentVersion: version === '1' ? null : String(Number(version) - 1),
    artifactUri: store.uri(model, version),
    trigger: { kind: 'ALERT', alertId: `alert-${version}` },
    trainingSize: 600,
    time: Date.now(),
    reason: null,
    metric: 'accuracy',
    incidentId: `inc-${version}`,
    fencingToken: Number(version),
    variants: [],
    backend: 'cpu',
    challengerMetrics: { accuracy: 0.8 + Number(version) / 100 },
    championMetrics: { accuracy: 0.8 },
    ...extra,
  };
}

async function publish(...events: ModelEventInput[]): Promise<void> {
  await bus.publish(
    topics.models,
    events.map((e) => ({ key: modelEventKey(e), ...codec.encode('model', e) })),
  );
}

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokers().split(','), logger });
  await bus.ensureTopics(topicSpecs(topics, 1));
  store = new LocalModelStore(storeDir);
  await storeTinyVersion(store, model, '1', { seed: 1 });
  await storeTinyVersion(store, model, '2', { seed: 2, parentVersion: '1' });
  await storeTinyVersion(store, model, '3', { seed: 3, parentVersion: '2' });
  await corruptFile(storeDir, model, '3', 'weights.bin');
  await publish(
    modelEvent('1', 'CANDIDATE'),
    modelEvent('1', 'PROMOTED'),
    modelEvent('2', 'CANDIDATE'),
    modelEvent('2', 'PROMOTED'),
    modelEvent('3', 'REJECTED', { reason: 'did not beat the champion by 0.02' }),
    modelEvent('4', 'PROMOTED', { fencingToken: 1 }), // a late, stale lock holder
  );
});

afterAll(async () => {
  await bus?.close();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('driftwatch models', () => {
  it('list: one row per model with its champion', async () => {
    const text = await run(['models', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^MODEL\s+CHAMPION\s+SINCE\s+VERSIONS\s+LATEST\s+LATEST STATUS\n/);
    expect(text.stdout).toMatch(/\nchurn\s+2\s+\S+Z\s+4\s+4\s+PROMOTED\n/);

    const json = await run(['models', 'list', '--json']);
    expect(json.code).toBe(0);
    const view = JSON.parse(json.stdout) as { models: { model: string; champion: string }[]; events: number };
    expect(view.events).toBe(6);
    expect(view.models).toMatchObject([{ model, champion: '2' }]);
  });

  it('show: the versions table marks the champion and the ignored stale promotion', async () => {
    const text = await run(['models', 'show', model]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Model churn: champion 2 since');
    expect(text.stdout).toMatch(/\n\*2\s+PROMOTED\s+1\s+accuracy=0\.8200\s+ALERT/);
    expect(text.stdout).toMatch(/\n 3\s+REJECTED\s+2\s+accuracy=0\.8300\s+ALERT\s+\S+\s+did not beat the champion by 0\.02\n/);
    expect(text.stdout).toContain('PROMOTED (stale token, ignored)');
    expect(text.stdout).toContain('ignored: PROMOTED 4 at offset 5 (fencing token 1 < 3)');

    const one = await run(['models', 'show', model, '2', '--json']);
    expect(one.code).toBe(0);
    const version = JSON.parse(one.stdout) as { version: string; champion: boolean; manifest: { version: string } | null; history: unknown[] };
    expect(version).toMatchObject({ version: '2', champion: true, manifest: { version: '2' } });
    expect(version.history).toHaveLength(2);

    const detail = await run(['models', 'show', model, '2']);
    expect(detail.stdout).toMatch(/version\s+2 \(champion\)/);
    expect(detail.stdout).toMatch(/accuracy\s+0\.8200\s+0\.8000/);
  });

  it('show: unknown model or version is a one-line error with exit 1', async () => {
    const unknown = await run(['models', 'show', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('driftwatch: unknown model nope: no events on the models topic (known: churn)\n');
    const missing = await run(['models', 'show', model, '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('has no version 9');
  });

  it('rollback: verifies the stored version, publishes ROLLED_BACK keyed by the model', async () => {
    const result = await run(['models', 'rollback', model, '1', '--reason', 'v2 misbehaves']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Rolled churn back to version 1 (champion was 2); published ROLLED_BACK.\n');

    const view = await readModelRegistry({ bus, topics, codec });
    const churn = view.models.find((m) => m.model === model)!;
    expect(churn.champion).toBe('1');
    const v1 = churn.versions.find((v) => v.version === '1')!;
    expect(v1).toMatchObject({ status: 'ROLLED_BACK', reason: 'v2 misbehaves', trigger: { kind: 'MANUAL', alertId: null } });

    // The event itself: keyed by model, the training profile as the reference.
    const messages: { key: string | null; event: ModelEvent }[] = [];
    await bus.readFrom(topics.models, 0, (batch) => {
      for (const m of batch) messages.push({ key: m.key?.toString() ?? null, event: codec.decode('model', m.value, m.headers) });
    });
    const last = messages.at(-1)!;
    expect(last.key).toBe(model);
    const manifest = await store.manifest(model, '1');
    expect(last.event.referenceProfile).toEqual(manifest.trainingProfile);
    expect(last.event.artifactUri).toBe(store.uri(model, '1'));
  });

  it('rollback: refuses a corrupted or missing version and a missing store, exit 1', async () => {
    const corrupted = await run(['models', 'rollback', model, '3']);
    expect(corrupted.code).toBe(1);
    expect(corrupted.stderr).toMatch(/^driftwatch: refusing to roll back to a corrupted version: .+\n$/);
    const missing = await run(['models', 'rollback', model, '7']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`driftwatch: cannot roll back: model churn version 7 not found (model store ${storeDir})\n`);
    const noStore = await run(['models', 'rollback', model, '1'], env({ DW_MODEL_STORE: undefined }));
    expect(noStore).toMatchObject({
      code: 1,
      stderr: 'driftwatch: cannot roll back: model churn version 1 not found (model store .driftwatch/models, the default: DW_MODEL_STORE is not set)\n',
    });
    // Nothing was published by the refusals: the champion is still the rollback's.
    const view = await readModelRegistry({ bus, topics, codec });
    expect(view.models.find((m) => m.model === model)!.champion).toBe('1');
  });

  it('usage errors exit 2; an unreachable broker is a one-line error', async () => {
    expect((await run(['models', 'rollback', model])).code).toBe(2);
    const down = await run(['models', 'list'], env({ KAFKA_BROKERS: '127.0.0.1:1' }));
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^driftwatch: Kafka brokers 127\.0\.0\.1:1 unreachable within \d+ ms.*\n$/);
  }, 60_000);

  it('the real binary prints the list and maps errors to exit codes', async () => {
    const cli = (args: string[]) => runCliBinary(args, env());
    const list = await cli(['models', 'list', '--json']);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ models: [{ model, champion: '1' }] });
    const unknown = await cli(['models', 'show', 'nope']);
    expect(unknown).toMatchObject({ code: 1, stderr: 'driftwatch: unknown model nope: no events on the models topic (known: churn)\n' });
    expect((await cli(['models', 'frobnicate'])).code).toBe(2);
    const rolled = await cli(['models', 'rollback', model, '2', '--reason', 'through the binary', '--json']);
    expect(rolled.stderr).toBe('');
    expect(JSON.parse(rolled.stdout)).toMatchObject({ model, version: '2', previousChampion: '1', reason: 'through the binary' });
    const shown = await cli(['models', 'show', model, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ model, champion: '2' });
  }, 60_000);
});
