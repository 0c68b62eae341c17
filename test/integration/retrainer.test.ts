// The retrainer on the real Kafka and Redis: bad triggers become REJECTED model events and
// incidents without hurting the service, alerts become pending triggers and retrains, two
// instances retrain once, and (once tfjs training exists) a retrain promotes a stored version,
// a retrain killed mid-training is retried by another process after the lock expires, and one
// whose model store failed (a transient I/O error) is retried after its backoff and promotes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../scripts/local-services.js';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type AlertInput, type Incident, type ModelEvent } from '../../shared/codec/index.js';
import { parseMonitoringConfig, type MonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import type { ModelStore } from '../../shared/models/model-store.js';
import { startRetrainerService, type RetrainerHandle } from '../../shared/pipeline/retrainer-service.js';
import { RedisIncidentStore } from '../../shared/retrain/redis-incident-store.js';
import { pendingKey } from '../../shared/retrain/retrain-keys.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { createConcept } from '../../shared/sim/concepts/index.js';
import { createPrng } from '../../shared/sim/prng.js';
import { Simulation } from '../../shared/sim/simulation.js';
import { connectRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { runCli } from '../support/cli.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { FAST_CONSUMER } from '../support/monitor-fixtures.js';
import { until } from '../support/until.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const fastConsumer = FAST_CONSUMER;
/** Training needs shared/retrain/train-challenger.ts and shared/learning (tfjs). */

let bus: KafkaBus;
let redis: RedisClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, clientId: 'retrainer-test' });
  redis = await connectRedis(redisUrl());
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await redis?.quit();
  await bus?.close();
});

// ---- helpers -------------------------------------------------------------------------------

interface Setup {
  prefix: string;
  topics: TopicNames;
  storeDir: string;
  store: LocalModelStore;
}

async function setup(name: string): Promise<Setup> {
  const prefix = `${uniqueName(name)}.`;
  const topics = topicNames(prefix);
  await bus.ensureTopics(topicSpecs(topics, 1));
  const storeDir = mkdtempSync(join(tmpdir(), 'dw-retrainer-'));
  cleanups.push(() => rmSync(storeDir, { recursive: true, force: true }));
  return { prefix, topics, storeDir, store: new LocalModelStore(storeDir) };
}

async function startRetrainer(s: Setup, monitoring: MonitoringConfig = parseMonitoringConfig({}), models: ModelStore = s.store): Promise<RetrainerHandle> {
  const handle = await startRetrainerService({
    config: {
      ...loadRuntimeConfig({ KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(), DW_TOPIC_PREFIX: s.prefix, DW_TOPIC_PARTITIONS: '1', LOG_LEVEL: 'warn' }),
      mode: 'distributed',
    },
    monitoring,
    models,
    tickMs: 100,
    http: { port: 0, host: '127.0.0.1' },
    logger,
    kafkaConsumer: fastConsumer,
  });
  cleanups.push(() => handle.stop());
  return handle;
}

const urlOf = (handle: RetrainerHandle) => `http://127.0.0.1:${handle.port}`;

/** Every model event of `model` on the models topic so far. */
async function modelEvents(topics: TopicNames, model: string): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  await bus.readFrom(topics.models, 0, (messages) => {
    for (const m of messages) {
      const event = codec.decode('model', m.value, m.headers);
      if (event.model === model) events.push(event);
    }
  });
  return events;
}

const decided = (events: ModelEvent[]) => events.filter((e) => e.status === 'PROMOTED' || e.status === 'REJECTED');

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

async function publishRecords(topics: TopicNames, predictions: PredictionRecord[], labels: LabelRecord[]): Promise<void> {
  const client = new DriftwatchClient({ bus, topics });
  for (let i = 0; i < predictions.length; i += 2_000) await client.logPredictions(predictions.slice(i, i + 2_000));
  for (let i = 0; i < labels.length; i += 2_000) await client.logLabels(labels.slice(i, i + 2_000));
}

/** A labelled SEA stream (learnable: x1 + x2 ≤ 8), served by a model that always says "0". */
function seaRecords(model: string, count: number, startTime: number, rate: number, seed: number): { predictions: PredictionRecord[]; labels: LabelRecord[] } {
  const concept = createConcept({ kind: 'sea', variant: 0 });
  const rng = createPrng(seed);
  const simulation = new Simulation({
    stream: (function* () {
      for (;;) yield concept.sample(rng);
    })(),
    scorer: { version: () => '0', predictBatch: (rows) => rows.map(() => ({ predictedClass: '0', probabilities: { '0': 0.6, '1': 0.4 } })) },
    model,
    startTime,
    rate,
    count,
    labelDelay: { minMs: 100, maxMs: 2_000 },
    seed,
  });
  const { predictions, labels } = simulation.advanceTo(Infinity);
  return { predictions, labels };
}

function alert(model: string, over: Partial<AlertInput> = {}): AlertInput {
  const now = Date.now();
  return {
    id: uniqueName('alert'),
    key: `${model}|0|CONCEPT_DRIFT|concept_drift|`,
    model,
    modelVersion: '0',
    kind: 'CONCEPT_DRIFT',
    status: 'FIRING',
    severity: 'WARNING',
    metric: 'concept_drift',
    feature: null,
    value: 1,
    threshold: 0.5,
    window: { start: now - 60_000, end: now, count: 500 },
    detector: 'adwin',
    message: 'concept drift',
    time: now,
    details: {},
    ...over,
  };
}

async function publishAlerts(topics: TopicNames, alerts: AlertInput[]): Promise<void> {
  await bus.publish(topics.alerts, alerts.map((a) => ({ key: a.key, ...codec.encode('alert', a) })));
}

/** Runs the CLI through the program factory, as models-cli.test.ts does. */
const cli = (args: string[]) => runCli(args);

/** Version directories that are not complete: every non-temp directory must hold a manifest that parses. */
async function halfWrittenVersions(store: LocalModelStore, storeDir: string, model: string): Promise<string[]> {
  const dir = join(storeDir, model);
  if (!existsSync(dir)) return [];
  const bad: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.tmp-')) continue;
    try {
      const manifest = await store.manifest(model, name);
      for (const path of Object.keys(manifest.files)) await store.readFile(model, name, path);
    } catch (error) {
      bad.push(`${name}: ${(error as Error).message}`);
    }
  }
  return bad;
}

// ---- cases without training ----------------------------------------------------------------

describe('retrainer: triggers that cannot train', () => {
  it('(a) POST /retrain/<unknown model> → REJECTED naming the model, an incident, the service stays ready; CLI retrain/incidents', async () => {
    const s = await setup('rt-unknown');
    const handle = await startRetrainer(s);
    const model = uniqueName('nope');

    const posted = await fetch(`${urlOf(handle)}/retrain/${model}`, { method: 'POST' });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toEqual({ model, status: 'pending' });

    const [event] = await until('a REJECTED model event', () => modelEvents(s.topics, model), (e) => decided(e).length > 0);
    expect(event).toMatchObject({ model, status: 'REJECTED', trigger: { kind: 'MANUAL', alertId: null }, version: 'none' });
    expect(event!.reason).toContain(`unknown model "${model}"`);
    expect(event!.fencingToken).toBeGreaterThan(0);

    const incidents = await until('the incident REJECTED', () => handle.incidents.list(model), (l) => l[0]?.status === 'REJECTED');
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ id: event!.incidentId, model, status: 'REJECTED', decision: 'REJECTED', reason: event!.reason, championVersion: null, challengerVersion: null });
    expect(incidents[0]!.triggers.map((t) => t.kind)).toEqual(['MANUAL']);

    // The routes: by model, by id, all, and a missing id.
    expect((await getJson(`${urlOf(handle)}/incidents/${model}`)).body).toEqual(incidents);
    expect((await getJson(`${urlOf(handle)}/incidents/${model}/${incidents[0]!.id}`)).body).toEqual(incidents[0]);
    expect(((await getJson(`${urlOf(handle)}/incidents?limit=500`)).body as Incident[]).map((i) => i.id)).toContain(incidents[0]!.id);
    expect((await getJson(`${urlOf(handle)}/incidents/${model}/nope`)).status).toBe(404);

    const ready = await getJson(`${urlOf(handle)}/readyz`);
    expect(ready.status).toBe(200);

    // The CLI against the same retrainer: a second manual retrain, then the incidents.
    const retrained = await cli(['retrain', model, '--url', urlOf(handle)]);
    expect(retrained).toMatchObject({ code: 0, stderr: '' });
    expect(retrained.stdout).toContain(`Retrain of ${model} requested (pending)`);
    await until('a second incident', () => handle.incidents.list(model), (l) => l.length === 2 && l.every((i) => i.status === 'REJECTED'));
    const listed = await cli(['incidents', model, '--url', urlOf(handle)]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.match(/ REJECTED\n/g)).toHaveLength(2);
    expect(listed.stdout).toContain(`decision      REJECTED: unknown model "${model}"`);
    expect(listed.stdout).toContain('triggers      MANUAL');
    const json = await cli(['incidents', model, '--json', '--limit', '1', '--url', urlOf(handle)]);
    expect((JSON.parse(json.stdout) as Incident[]).map((i) => i.model)).toEqual([model]);

    // Through the real binary once, against a port nobody listens on: one clear line, exit 1.
    const [freePort] = await freePorts(1);
    const down = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'services/cli/main.ts'), 'incidents'], {
        env: { ...process.env, DW_RETRAINER_URL: `http://127.0.0.1:${freePort}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('exit', (code) => done({ code, stderr }));
    });
    expect(down).toEqual({ code: 1, stderr: `driftwatch: cannot reach the retrainer at http://127.0.0.1:${freePort} (connection refused); is it running? Set --url or DW_RETRAINER_URL\n` });
  });

  it('(b) predictions but no labels → REJECTED "no labelled examples…"', async () => {
    const s = await setup('rt-nolabels');
    const model = uniqueName('unlabelled');
    const { predictions } = seaRecords(model, 200, Date.now() - 10 * 60_000, 1, 1);
    await publishRecords(s.topics, predictions, []);
    const handle = await startRetrainer(s);
    await handle.retrain(model);

    const [settled] = await until('the incident decided', () => handle.incidents.list(model), (l) => l[0] !== undefined && l[0].status !== 'OPEN' && l[0].status !== 'TRAINING');
    expect(settled, JSON.stringify(settled)).toMatchObject({ status: 'REJECTED' });
    const events = await until('a REJECTED model event', () => modelEvents(s.topics, model), (e) => decided(e).length > 0);
    expect(events[0]).toMatchObject({ status: 'REJECTED' });
    expect(events[0]!.reason).toMatch(/^no labelled examples in the training window/);
    const [incident] = await until('the incident', () => handle.incidents.list(model), (l) => l[0]?.status === 'REJECTED');
    expect(incident!.data).toMatchObject({ predictions: 200, labels: 0, joined: 0 });
    expect(incident!.diagnosis?.labelCoverage).toBe(0);
  });

  it('(c) predictions and labels all older than the window → REJECTED saying so', async () => {
    const s = await setup('rt-old');
    const model = uniqueName('old');
    // Three hours of event time ago; the default window is one hour.
    const { predictions, labels } = seaRecords(model, 300, Date.now() - 3 * 3_600_000, 1, 2);
    await publishRecords(s.topics, predictions, labels);
    const handle = await startRetrainer(s);
    await handle.retrain(model);

    const events = await until('a REJECTED model event', () => modelEvents(s.topics, model), (e) => decided(e).length > 0);
    expect(events[0]!.reason).toMatch(new RegExp(`^no predictions of "${model}" in the training window \\(1h back from .*\\); the 300 read from the log are all older$`));
    const [incident] = await until('the incident', () => handle.incidents.list(model), (l) => l[0]?.status === 'REJECTED');
    expect(incident!.reason).toBe(events[0]!.reason);
  });

  it('(d) a FIRING matching alert records a pending trigger, then a retrain runs and links the alert; RESOLVED or non-matching alerts record nothing', async () => {
    const s = await setup('rt-alert');
    const model = uniqueName('alerted');
    const resolvedModel = uniqueName('resolved');
    const otherKind = uniqueName('other-kind');
    const monitoring = parseMonitoringConfig({ defaults: { retrain: { debounce: '1500ms' } } });
    const handle = await startRetrainer(s, monitoring);

    const firing = alert(model);
    // One partition: the retrainer handles them in this order.
    await publishAlerts(s.topics, [
      alert(resolvedModel, { status: 'RESOLVED' }),
      // DATA_DRIFT triggers only on dataset_drift_share by default; a per-feature drift alert does not.
      alert(otherKind, { kind: 'DATA_DRIFT', metric: 'drift', feature: 'x1', detector: null }),
      alert(otherKind, { kind: 'PREDICTION_DRIFT', metric: 'prediction_drift', detector: null }),
      firing,
    ]);

    const pending = await until('the pending trigger in Redis', () => redis.hgetall(pendingKey(model)), (h) => Object.keys(h).length > 0, 20_000);
    expect(JSON.stringify(pending)).toContain(firing.id);
    const events = await until('a model event after the debounce', () => modelEvents(s.topics, model), (e) => decided(e).length > 0);
    expect(events[0]).toMatchObject({ status: 'REJECTED', trigger: { kind: 'ALERT', alertId: firing.id } });
    // Decided no earlier than the debounce after the trigger was recorded.
    expect(events[0]!.time - firing.time).toBeGreaterThanOrEqual(1_000);

    const [incident] = await until('the incident', () => handle.incidents.list(model), (l) => l[0]?.status === 'REJECTED');
    expect(incident!.id).toBe(events[0]!.incidentId);
    expect(incident!.triggers).toHaveLength(1);
    expect(incident!.triggers[0]).toMatchObject({ alertId: firing.id, kind: 'CONCEPT_DRIFT', severity: 'WARNING', windowStart: firing.window.start, windowEnd: firing.window.end });
    await until('the pending trigger cleared', () => redis.exists(pendingKey(model)), (n) => n === 0);

    // The earlier alerts were handled before the firing one and recorded nothing.
    for (const other of [resolvedModel, otherKind]) {
      expect(await redis.exists(pendingKey(other))).toBe(0);
      expect(await handle.incidents.list(other)).toEqual([]);
      expect(await modelEvents(s.topics, other)).toEqual([]);
    }
  });

  it('(e) two instances on one prefix: one manual trigger gives exactly one incident and one REJECTED event', async () => {
    const s = await setup('rt-two');
    const model = uniqueName('twice');
    const [a, b] = await Promise.all([startRetrainer(s), startRetrainer(s)]);
    await a.retrain(model);
    await until('a REJECTED model event', () => modelEvents(s.topics, model), (e) => decided(e).length > 0);
    // Give the other instance's scheduler many ticks to (wrongly) run it again.
    await new Promise((r) => setTimeout(r, 2_000));
    const events = await modelEvents(s.topics, model);
    expect(events.map((e) => e.status)).toEqual(['REJECTED']);
    const incidents = await b.incidents.list(model);
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.id).toBe(events[0]!.incidentId);
    expect(await redis.exists(pendingKey(model))).toBe(0);
  });
});

// ---- cases that train (tfjs) ---------------------------------------------------------------

describe('retrainer: training', () => {
  const grid = { learningRate: [0.01], epochs: [3, 6], l2: [0] };

  it('(f) enough labelled data and no champion → version 1 PROMOTED, stored with its manifest, incident with the search table', { timeout: 240_000 }, async () => {
    const s = await setup('rt-train');
    const model = uniqueName('sea');
    const { predictions, labels } = seaRecords(model, 1_500, Date.now() - 30 * 60_000, 2, 3);
    await publishRecords(s.topics, predictions, labels);
    const monitoring = parseMonitoringConfig({ defaults: { retrain: { grid, minExamples: 500, patience: 10, quantize: ['float16'] } } });
    const handle = await startRetrainer(s, monitoring);
    await handle.retrain(model);

    const events = await until('a decision', () => modelEvents(s.topics, model), (e) => decided(e).length > 0, 200_000);
    expect(events.map((e) => e.status)).toEqual(['CANDIDATE', 'PROMOTED']);
    const promoted = events[1]!;
    expect(promoted).toMatchObject({ version: '1', parentVersion: null, trigger: { kind: 'MANUAL' }, metric: 'accuracy' });
    expect(promoted.artifactUri).toBe(s.store.uri(model, '1'));
    // SEA is learnable; a model that always says "0" is not what we trained.
    expect(promoted.challengerMetrics.accuracy).toBeGreaterThan(0.8);

    expect(await s.store.versions(model)).toEqual(['1']);
    const manifest = await s.store.manifest(model, '1');
    expect(manifest).toMatchObject({ model, version: '1', parentVersion: null });
    for (const path of Object.keys(manifest.files)) await s.store.readFile(model, '1', path); // sha256 checked
    expect(await halfWrittenVersions(s.store, s.storeDir, model)).toEqual([]);

    const [incident] = await until('the incident PROMOTED', () => handle.incidents.list(model), (l) => l[0]?.status === 'PROMOTED');
    expect(incident).toMatchObject({ id: promoted.incidentId, decision: 'PROMOTED', championVersion: null, challengerVersion: '1', metric: 'accuracy' });
    expect(incident!.search).toHaveLength(grid.learningRate.length * grid.epochs.length * grid.l2.length);
    expect(incident!.data!.train.size + incident!.data!.validation.size + incident!.data!.test.size).toBeGreaterThanOrEqual(500);
    expect(incident!.verification).toMatchObject({ status: 'PENDING' });
    expect(incident!.variants.map((v) => v.precision)).toEqual(['float16']);
  });

    it('(h) the model store fails a write once (EIO): FAILED saying when the retry is, the trigger stays pending with the attempt, the retry PROMOTES', { timeout: 240_000 }, async () => {
    const s = await setup('rt-retry');
    const model = uniqueName('flaky');
    const { predictions, labels } = seaRecords(model, 800, Date.now() - 20 * 60_000, 2, 5);
    await publishRecords(s.topics, predictions, labels);
    // The disk fails the first version write, as a full or failing volume does, and works after.
    let failedWrites = 0;
    const flaky: ModelStore = {
      put: async (manifest, files) => {
        if (failedWrites++ === 0) throw Object.assign(new Error(`EIO: i/o error, write '${join(s.storeDir, model)}'`), { code: 'EIO', errno: -5, syscall: 'write' });
        return s.store.put(manifest, files);
      },
      manifest: (m, v) => s.store.manifest(m, v),
      readFile: (m, v, path) => s.store.readFile(m, v, path),
      versions: (m) => s.store.versions(m),
      models: () => s.store.models(),
      nextVersion: (m) => s.store.nextVersion(m),
      uri: (m, v) => s.store.uri(m, v),
    };
    const monitoring = parseMonitoringConfig({
      defaults: { retrain: { grid: { learningRate: [0.01], epochs: [3], l2: [0] }, minExamples: 300, patience: 10, quantize: [], retry: { initialDelay: '2s' } } },
    });
    const handle = await startRetrainer(s, monitoring, flaky);
    await handle.retrain(model);

    // Newest first: the first attempt's incident is the last listed.
    const failed = (await until('the first attempt FAILED', () => handle.incidents.list(model), (l) => l.at(-1)?.status === 'FAILED', 120_000)).at(-1);
    const scheduled = /^EIO: i\/o error, write '.*' \(transient failure, attempt 1 of 5; retry scheduled at (\S+)\)/.exec(failed!.reason ?? '');
    expect(scheduled, failed!.reason ?? 'no reason').not.toBeNull();
    const retryAt = Date.parse(scheduled![1]!);
    // The trigger stayed pending, due at the time the incident names, with the attempt counted.
    const pending = await until('the retry recorded with the trigger', () => redis.hgetall(pendingKey(model)), (h) => h.attempts !== undefined || Object.keys(h).length === 0);
    expect(pending).toMatchObject({ attempts: '1', failed: failed!.id, dueAt: String(retryAt) });

    const events = await until('a decision', () => modelEvents(s.topics, model), (e) => decided(e).length > 0, 200_000);
    // The failed attempt published nothing: its version never got stored.
    expect(events.map((e) => [e.status, e.version])).toEqual([['CANDIDATE', '1'], ['PROMOTED', '1']]);
    const promoted = events[1]!;
    expect(promoted.incidentId).not.toBe(failed!.id);
    expect(promoted.time, 'not retried before its time').toBeGreaterThanOrEqual(retryAt);
    const retry = await until('the retry PROMOTED', () => handle.incidents.get(model, promoted.incidentId!), (i) => i?.status === 'PROMOTED');
    expect(retry!.triggers.map((t) => t.kind)).toEqual(['MANUAL']);
    // The FAILED incident points at its retry, as one a killed run left does.
    expect((await handle.incidents.get(model, failed!.id))!.reason).toBe(`${failed!.reason}; retried as ${retry!.id}`);
    expect(await handle.incidents.list(model)).toHaveLength(2);
    await until('the pending trigger cleared', () => redis.exists(pendingKey(model)), (n) => n === 0);
    expect(failedWrites, 'one failed write, one that stored version 1').toBe(2);
    expect(await s.store.versions(model)).toEqual(['1']);
    expect(await halfWrittenVersions(s.store, s.storeDir, model)).toEqual([]);
  });

  // Short, so the retry comes soon after the kill; but longer than the event loop stalls while
  // tfjs loads its wasm backend and trains (seconds), or a live job loses its lock.
  const LOCK_TTL_MS = 10_000;

  it('(g) SIGKILL mid-training leaves no half-written version; a new process retries the pending trigger once the lock expires', { timeout: 300_000 }, async () => {
    const s = await setup('rt-kill');
    const model = uniqueName('killed');
    const dataStart = Date.now() - 40 * 60_000;
    const { predictions, labels } = seaRecords(model, 3_000, dataStart, 2, 4);
    await publishRecords(s.topics, predictions, labels);
    const env = (retrain: object, ttlMs: number): Record<string, string> => ({
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redisUrl(),
      DW_MODE: 'distributed',
      DW_TOPIC_PREFIX: s.prefix,
      DW_TOPIC_PARTITIONS: '1',
      DW_MODEL_STORE: s.storeDir,
      DW_MONITORING_CONFIG_JSON: JSON.stringify({ defaults: { retrain: { debounce: '100ms', ...retrain } } }),
      DW_RETRAIN_LOCK_TTL_MS: String(ttlMs),
      DW_HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    const processes: ServiceProcess[] = [];
    cleanups.push(async () => {
      for (const p of processes) await p.kill();
    });

    // Slow: many epochs, no early stopping, a bigger grid.
    const slow = startServiceProcess('retrainer', env({ grid: { learningRate: [0.001, 0.003], epochs: [200], l2: [0, 0.0001] }, patience: 1_000 }, LOCK_TTL_MS));
    processes.push(slow);
    let sawTrainingStart = false;
    slow.child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('training data read from the log')) sawTrainingStart = true;
    });
    // The drift "started" 10 minutes into the data: most examples are from during it.
    await publishAlerts(s.topics, [alert(model, { window: { start: dataStart + 10 * 60_000, end: Date.now(), count: 500 } })]);

    const incidents = new RedisIncidentStore(redis, s.prefix);
    const [killed] = await until('the incident TRAINING', () => incidents.list(model), (l) => l[0]?.status === 'TRAINING', 60_000, slow);
    await until('training under way', async () => sawTrainingStart, (v) => v, 60_000, slow);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(slow.child.exitCode, slow.output()).toBeNull();
    await slow.kill();

    expect(await s.store.versions(model)).toEqual([]);
    expect(await halfWrittenVersions(s.store, s.storeDir, model)).toEqual([]);
    expect(decided(await modelEvents(s.topics, model))).toEqual([]);
    expect(await redis.exists(pendingKey(model)), 'the trigger stays pending').toBe(1);

    const fast = startServiceProcess('retrainer', env({ grid, patience: 10, quantize: [] }, LOCK_TTL_MS));
    processes.push(fast);
    const events = await until('a decision by the new process', () => modelEvents(s.topics, model), (e) => decided(e).length > 0, 60_000, fast);
    const decision = decided(events)[0]!;
    expect(['PROMOTED', 'REJECTED']).toContain(decision.status);
    expect(decision.incidentId).not.toBe(killed!.id);
    expect(decision.trigger.kind).toBe('ALERT');
    const done = await until('the new incident decided', () => incidents.get(model, decision.incidentId!), (i) => i?.status === decision.status);
    expect(done!.triggers[0]!.alertId).toBe(killed!.triggers[0]!.alertId);
    expect(await halfWrittenVersions(s.store, s.storeDir, model)).toEqual([]);
    if (decision.status === 'PROMOTED') expect(await s.store.versions(model)).toEqual(['1']);
    await until('the pending trigger cleared', () => redis.exists(pendingKey(model)), (n) => n === 0);
    expect(await fast.stop()).toBe(0);
  });
});
