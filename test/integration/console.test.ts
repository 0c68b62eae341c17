// The console service as deployed (services/console/main.ts in its own process) on the real
// Kafka broker: it rebuilds its history from encoded metrics, alerts, model events and incidents
// already on (unique) topics, answers every API route with them, streams live events over SSE,
// skips a malformed message, forwards a retrain to the retrainer URL (a node:http receiver stands
// in for the retrainer here), publishes a rollback, and after a restart — this time with a token
// — rebuilds the same state from the log. Without a token it listens on 127.0.0.1 only.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type EventInputMap, type EventType, type ModelEvent } from '../../shared/codec/index.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { modelEventKey } from '../../shared/models/model-event-key.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokers, uniqueName } from '../setup/env.js';
import { alertAt, incidentAt, modelEventAt, snapshotAt } from '../support/console-events.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { openSse } from '../support/sse-client.js';
import { until } from '../support/until.js';
import { manifestFixture } from '../unit/models/manifest-fixture.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const prefix = `${uniqueName('console')}.`;
const topics: TopicNames = topicNames(prefix);
const model = uniqueName('churn');
const storeDir = mkdtempSync(join(tmpdir(), 'dw-console-'));
const TOKEN = 'console-test-token';
const now = Date.now();
let bus: KafkaBus;
let retrainer: Server;
const retrainRequests: { method: string; url: string }[] = [];

async function publish<K extends EventType>(topic: string, kind: K, input: EventInputMap[K], key: string): Promise<void> {
  const encoded = codec.encode(kind, input);
  await bus.publish(topic, [{ key, value: encoded.value, headers: encoded.headers }]);
}

/** A parsed JSON body, read field by field in the assertions. */
type Json = ReturnType<typeof JSON.parse>;

interface Console {
  process: ServiceProcess;
  port: number;
  opsPort: number;
}

async function startConsoleProcess(env: Record<string, string>): Promise<Console> {
  const process = startServiceProcess('console', {
    KAFKA_BROKERS: kafkaBrokers(),
    DW_TOPIC_PREFIX: prefix,
    DW_TOPIC_PARTITIONS: '3',
    DW_CONSOLE_PORT: '0',
    DW_HTTP_PORT: '0',
    DW_CONSOLE_HISTORY: '1h',
    DW_MODEL_STORE: storeDir,
    DW_RETRAINER_URL: `http://127.0.0.1:${(retrainer.address() as AddressInfo).port}`,
    DW_CONSOLE_TOKEN: '',
    LOG_LEVEL: 'info',
    ...env,
  });
  const [port, opsPort] = await until(
    'the console and ops servers to listen',
    () => [/console listening on http:\/\/[^:]+:(\d+)\//.exec(process.output())?.[1], /"port":(\d+),"msg":"ops server listening/.exec(process.output())?.[1]],
    ([a, b]) => a !== undefined && b !== undefined,
    60_000,
    process,
  );
  return { process, port: Number(port), opsPort: Number(opsPort) };
}

async function get(c: Console, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const response = await fetch(`http://127.0.0.1:${c.port}${path}`, { headers });
  return { status: response.status, body: await response.json().catch(() => null) };
}

async function post(c: Console, path: string, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`http://127.0.0.1:${c.port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function waitReady(c: Console): Promise<void> {
  await until('/readyz 200', async () => (await fetch(`http://127.0.0.1:${c.opsPort}/readyz`)).status, (s) => s === 200, 60_000, c.process);
}

/** Every route's answer, for comparing the state before and after a restart. */
async function state(c: Console, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const paths = ['/api/models', `/api/models/${model}`, `/api/models/${model}/windows?horizon=5m`, `/api/models/${model}/windows?horizon=1h`, '/api/alerts', '/api/incidents', '/api/retrains'];
  const out: Record<string, unknown> = {};
  for (const path of paths) out[path] = (await get(c, path, headers)).body;
  return out;
}

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokers().split(','), logger });
  await bus.ensureTopics(topicSpecs(topics, 3));
  retrainer = createServer((request, response) => {
    retrainRequests.push({ method: request.method ?? '', url: request.url ?? '' });
    response.writeHead(202, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ model: decodeURIComponent((request.url ?? '').split('/').pop() ?? ''), queued: true }));
  });
  await new Promise<void>((resolve) => retrainer.listen(0, '127.0.0.1', resolve));
  const store = new LocalModelStore(storeDir);
  await store.put(manifestFixture(model, '1'), new Map([['model.json', new TextEncoder().encode('{"weights":[1,2,3]}')]]));

  // What is on the log before the console starts.
  await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '1', '5m', now - 120_000, { metrics: { accuracy: 0.5 } }), model);
  await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '1', '5m', now - 120_000), model); // re-published: replaces
  await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '1', '5m', now - 60_000), model);
  await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '2', '5m', now - 30_000), model);
  await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '1', '1h', now - 60_000, { metrics: { f1_macro: 0.8 } }), model);
  await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '1', '5m', now - 3 * 3_600_000), model); // older than the history (1h)
  await bus.publish(topics.metrics, [{ key: model, value: Buffer.from('not avro at all') }]);
  await publish(topics.alerts, 'alert', alertAt(model, `${model}|1|PERFORMANCE|accuracy|`, 'a1', 'FIRING', now - 90_000, { kind: 'PERFORMANCE', metric: 'accuracy', feature: null }), model);
  await publish(topics.alerts, 'alert', alertAt(model, `${model}|1|PERFORMANCE|accuracy|`, 'a2', 'RESOLVED', now - 40_000, { kind: 'PERFORMANCE', metric: 'accuracy', feature: null }), model);
  await publish(topics.alerts, 'alert', alertAt(model, `${model}|2|DATA_DRIFT|psi|tenure`, 'b1', 'FIRING', now - 20_000), model);
  for (const event of [modelEventAt(model, '1', 'PROMOTED', now - 600_000), modelEventAt(model, '2', 'CANDIDATE', now - 50_000, { parentVersion: '1' }), modelEventAt(model, '2', 'PROMOTED', now - 45_000, { parentVersion: '1' })]) {
    await publish(topics.models, 'model', event, modelEventKey(event));
  }
  await publish(topics.incidents, 'incident', incidentAt(model, 'inc-a', 'TRAINING', now - 55_000, now - 52_000, { championVersion: '1', challengerVersion: null }), 'inc-a');
  await publish(topics.incidents, 'incident', incidentAt(model, 'inc-a', 'PROMOTED', now - 55_000, now - 45_000, { championVersion: '1', challengerVersion: '2' }), 'inc-a');
});

afterAll(async () => {
  await bus?.close();
  await new Promise((resolve) => retrainer?.close(resolve));
  rmSync(storeDir, { recursive: true, force: true });
});

describe('console service on Kafka', () => {
  let before: Record<string, unknown>;

  it('rebuilds from the log (not ready until then), answers every route, streams live events, acts, skips bad input', async () => {
    const c = await startConsoleProcess({});
    try {
      // The rebuild joins throwaway groups on the broker (seconds): readiness says so meanwhile.
      const early = await fetch(`http://127.0.0.1:${c.opsPort}/readyz`);
      expect(early.status).toBe(503);
      expect(JSON.stringify(await early.json())).toContain('rebuilding the history');
      await waitReady(c);
      expect(c.process.output()).toContain('127.0.0.1 only: no DW_CONSOLE_TOKEN is set');
      // Bound to loopback only: the machine's other address refuses the connection.
      const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
      expect(external, 'a non-loopback IPv4 address to test the binding against').toBeDefined();
      await expect(fetch(`http://${external!.address}:${c.port}/api/models`)).rejects.toThrow();

      const models = (await get(c, '/api/models')).body.models;
      expect(models).toEqual([{ model, champion: '2', versions: ['1', '2'], horizons: ['5m', '1h'], lastSnapshotAt: now - 30_000 + 100, firingAlerts: 1 }]);
      const detail = (await get(c, `/api/models/${model}`)).body;
      expect(detail).toMatchObject({ model, champion: '2', horizons: ['5m', '1h'] });
      expect(detail.versions.map((v: { version: string; status: string }) => [v.version, v.status])).toEqual([
        ['1', 'PROMOTED'],
        ['2', 'PROMOTED'],
      ]);
      expect(detail.versions[1]).toMatchObject({ parentVersion: '1', trigger: { kind: 'ALERT' }, events: [{ status: 'CANDIDATE', time: now - 50_000 }, { status: 'PROMOTED', time: now - 45_000 }] });
      expect((await get(c, `/api/models/${model}-unknown`)).status).toBe(404);

      const windows = (await get(c, `/api/models/${model}/windows?horizon=5m`)).body;
      expect(windows.snapshots.map((s: { version: string; end: number }) => [s.version, s.end])).toEqual([
        ['1', now - 120_000],
        ['1', now - 60_000],
        ['2', now - 30_000],
      ]);
      expect(windows.snapshots[0]).toMatchObject({ count: 500, labelCoverage: 0.5, metrics: { accuracy: 0.9 }, predictionShares: { yes: 0.4, no: 0.6 }, referenceShares: { yes: 0.5, no: 0.5 } });
      expect(windows.snapshots[0].drift[0]).toMatchObject({ feature: 'tenure', statistic: 'psi', drifted: true });
      expect((await get(c, `/api/models/${model}/windows?horizon=5m&version=2`)).body.snapshots).toHaveLength(1);
      expect((await get(c, `/api/models/${model}/windows?horizon=5m&since=${now - 60_000}&limit=1`)).body.snapshots.map((s: { end: number }) => s.end)).toEqual([now - 30_000]);
      expect((await get(c, `/api/models/${model}/windows?horizon=1h`)).body.snapshots[0]).toMatchObject({ metrics: { f1_macro: 0.8 }, predictionShares: null });
      expect((await get(c, `/api/models/${model}/windows`)).status).toBe(400);
      expect((await get(c, `/api/models/${model}/windows?horizon=5m&limit=zero`)).status).toBe(400);

      const alerts = (await get(c, `/api/alerts?model=${model}`)).body.alerts;
      expect(alerts.map((a: { key: string; status: string }) => [a.key, a.status])).toEqual([
        [`${model}|2|DATA_DRIFT|psi|tenure`, 'FIRING'],
        [`${model}|1|PERFORMANCE|accuracy|`, 'RESOLVED'],
      ]);
      expect(alerts[1]).toMatchObject({ firedAt: now - 90_000, resolvedAt: now - 40_000, history: [{ id: 'a1', status: 'FIRING' }, { id: 'a2', status: 'RESOLVED' }] });
      expect((await get(c, '/api/alerts?status=FIRING')).body.alerts).toHaveLength(1);
      expect((await get(c, '/api/alerts?status=firing')).status).toBe(400);
      const incidents = (await get(c, `/api/incidents?model=${model}`)).body.incidents;
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatchObject({ id: 'inc-a', status: 'PROMOTED', challengerVersion: '2', diagnosis: { metricBefore: 0.86 } });
      expect((await get(c, '/api/retrains')).body.retrains).toEqual([
        { incidentId: 'inc-a', model, status: 'PROMOTED', openedAt: now - 55_000, updatedAt: now - 45_000, championVersion: '1', challengerVersion: '2', triggers: incidents[0].triggers },
      ]);
      const config = (await get(c, '/api/config')).body;
      expect(config).toMatchObject({ historyMs: 3_600_000, auth: false, minCount: { '5m': 1000, '1h': 1000, '24h': 1000 } });
      expect(config.startedFrom).toBeGreaterThan(now - 3_600_000 - 5_000);
      expect((await fetch(`http://127.0.0.1:${c.port}/assets/uPlot.iife.min.js`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${c.port}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);

      // Live: every kind of event reaches an open stream.
      const sse = await openSse(c.port, '/api/events');
      try {
        expect(sse.status).toBe(200);
        expect(sse.contentType).toContain('text/event-stream');
        await publish(topics.metrics, 'metricsSnapshot', snapshotAt(model, '2', '5m', now), model);
        await bus.publish(topics.metrics, [{ key: model, value: Buffer.from([0xff, 0x00, 0x13]) }]);
        await publish(topics.alerts, 'alert', alertAt(model, `${model}|2|DATA_DRIFT|psi|tenure`, 'b2', 'RESOLVED', now + 1), model);
        await publish(topics.incidents, 'incident', incidentAt(model, 'inc-a', 'RECOVERED', now - 55_000, now), 'inc-a');
        const rollback = await post(c, `/api/models/${model}/rollback`, { version: '1', reason: 'console test' });
        expect(rollback).toEqual({ status: 200, body: { model, champion: '1' } });
        await until('four kinds of live events', () => new Set(sse.events.map((e) => e.event)), (kinds) => kinds.size === 4, 60_000, c.process);
        expect(sse.events.find((e) => e.event === 'snapshot')?.data).toMatchObject({ model, horizon: '5m', snapshot: { version: '2', end: now } });
        expect(sse.events.find((e) => e.event === 'alert')?.data).toMatchObject({ key: `${model}|2|DATA_DRIFT|psi|tenure`, status: 'RESOLVED' });
        expect(sse.events.find((e) => e.event === 'incident')?.data).toMatchObject({ id: 'inc-a', status: 'RECOVERED' });
        expect(sse.events.find((e) => e.event === 'model')?.data).toMatchObject({ model, version: '1', status: 'ROLLED_BACK', reason: 'console test' });
      } finally {
        sse.close();
      }

      // The rollback went out as a model event on the topic, as `driftwatch models rollback` sends it.
      const published: ModelEvent[] = [];
      await bus.readFrom(topics.models, 0, (messages) => {
        for (const m of messages) published.push(codec.decode('model', m.value, m.headers));
      });
      expect(published.at(-1)).toMatchObject({ model, version: '1', status: 'ROLLED_BACK', trigger: { kind: 'MANUAL' }, reason: 'console test', artifactUri: new LocalModelStore(storeDir).uri(model, '1') });
      expect((await get(c, `/api/models/${model}`)).body.champion).toBe('1');
      expect((await post(c, `/api/models/${model}/rollback`, { version: '7' })).status).toBe(404);
      expect((await post(c, `/api/models/${model}/rollback`, {})).status).toBe(400);

      const retrain = await post(c, `/api/models/${model}/retrain`, {});
      expect(retrain).toEqual({ status: 202, body: { model, queued: true } });
      expect(retrainRequests).toEqual([{ method: 'POST', url: `/retrain/${model}` }]);

      // Both malformed messages (one in the rebuild, one live) counted and skipped; still serving.
      const metrics = await (await fetch(`http://127.0.0.1:${c.opsPort}/metrics`)).text();
      const malformed = metrics.split('\n').filter((l) => l.startsWith('driftwatch_console_malformed_total{') && l.includes(topics.metrics));
      expect(malformed.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)).toBe(2);
      // Seven snapshots decoded and applied (the one older than the history too: applying it changed nothing).
      const applied = metrics.split('\n').find((l) => l.startsWith('driftwatch_console_events_applied_total{') && l.includes(`topic="${topics.metrics}"`));
      expect(Number(applied?.split(' ').at(-1))).toBe(7);
      expect(metrics).toContain('driftwatch_console_history_entries{kind="snapshots",service="console"} 5');
      expect((await fetch(`http://127.0.0.1:${c.opsPort}/readyz`)).status).toBe(200);
      before = await state(c);
    } finally {
      expect(await c.process.stop()).toBe(0);
    }
  });

  it('after a restart (now with a token) rebuilds the same state from the log and requires the token', async () => {
    const c = await startConsoleProcess({ DW_CONSOLE_TOKEN: TOKEN });
    try {
      expect((await fetch(`http://127.0.0.1:${c.port}/api/models`)).status).toBe(401);
      await waitReady(c);
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect(await state(c, auth)).toEqual(before);
      expect((await get(c, `/api/models/${model}`, auth)).body.champion).toBe('1');

      expect(await get(c, '/api/models')).toEqual({ status: 401, body: { error: expect.stringContaining('token') } });
      expect((await get(c, '/api/models', { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await get(c, `/api/models?token=wrong`)).status).toBe(401);
      expect((await get(c, `/api/models?token=${TOKEN}`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${c.port}/`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${c.port}/?token=${TOKEN}`)).status).toBe(200);
      expect((await get(c, '/api/config', auth)).body.auth).toBe(true);
      const denied = await openSse(c.port, '/api/events');
      expect(denied.status).toBe(401);
      denied.close();
      const sse = await openSse(c.port, `/api/events?token=${TOKEN}`);
      expect(sse.status).toBe(200);
      sse.close();
      // With a token it listens on every interface (DW_CONSOLE_HOST defaults to 0.0.0.0).
      const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)!;
      expect((await fetch(`http://${external.address}:${c.port}/api/models`, { headers: auth })).status).toBe(200);
    } finally {
      expect(await c.process.stop()).toBe(0);
    }
  });
});
