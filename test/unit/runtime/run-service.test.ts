import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { BusMessage, OutgoingMessage } from '../../../shared/bus/types.js';
import { Codec } from '../../../shared/codec/index.js';
import { loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { runService } from '../../../shared/runtime/run-service.js';
import type { ServiceContext, ServiceHandle, ServiceSubscription } from '../../../shared/runtime/run-service.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';
import { topicNames } from '../../../shared/topics.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

const logger = pino({ level: 'silent' });
const codec = new Codec();
const config = loadRuntimeConfig({ DW_MODE: 'embedded', DW_TOPIC_PREFIX: 'rt.', DW_TOPIC_PARTITIONS: '2' });
const topics = topicNames('rt.');

function getStatus(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const prediction = (id: string): OutgoingMessage => ({ key: id, ...codec.encode('prediction', { ...SAMPLE_EVENTS.prediction, id }) });
const garbage = (n: number): OutgoingMessage => ({ key: `bad-${n}`, value: Buffer.from([0xde, 0xad, n]), headers: {} });

async function readDeadLetters(bus: MemoryBus, expected: number): Promise<BusMessage[]> {
  const seen: BusMessage[] = [];
  const subscription = await bus.subscribe({
    groupId: 'dlq-reader',
    topics: [topics.dlq],
    handler: async (batch) => {
      seen.push(...batch.messages);
    },
  });
  await until(() => seen.length >= expected, `${expected} dead letters`);
  await subscription.stop();
  return seen;
}

describe('runService (embedded)', () => {
  let handle: ServiceHandle | undefined;
  let bus: MemoryBus;
  afterEach(async () => {
    await handle?.stop();
    handle = undefined;
    await bus?.close();
  });

  function predictionsConsumer(seen: string[]): (service: ServiceContext) => ServiceSubscription[] {
    return (service) => [
      {
        groupId: 'rt-test',
        topics: [service.topics.predictions],
        handler: async (batch) => {
          for (const { event } of await service.decodeOrDeadLetter(batch, 'prediction')) seen.push(event.id);
        },
      },
    ];
  }

  it('delivers valid events to the handler, dead-letters the rest, and reports both in /metrics', async () => {
    bus = new MemoryBus({ logger });
    const seen: string[] = [];
    handle = await runService({
      name: 'drift',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: { port: 0, host: '127.0.0.1' },
      subscriptions: predictionsConsumer(seen),
    });
    const messages = [prediction('a'), garbage(1), prediction('b'), garbage(2), prediction('c')];
    await bus.publish(topics.predictions, messages);
    await until(() => seen.length === 3, 'three predictions');
    const letters = await readDeadLetters(bus, 2);

    expect(seen.sort()).toEqual(['a', 'b', 'c']);
    const decoded = letters.map((m) => codec.decode('deadLetter', m.value, m.headers));
    expect(decoded.map((d) => d.value)).toEqual(expect.arrayContaining([Buffer.from([0xde, 0xad, 1]), Buffer.from([0xde, 0xad, 2])]));
    expect(new Set(decoded.map((d) => d.reason))).toEqual(new Set(['MISSING_SCHEMA_HEADER']));
    expect(decoded.every((d) => d.service === 'drift' && d.sourceTopic === topics.predictions)).toBe(true);

    const port = handle.port!;
    expect((await getStatus(port, '/readyz')).status).toBe(200);
    const text = (await getStatus(port, '/metrics')).body;
    expect(text).toContain('driftwatch_dlq_total{reason="MISSING_SCHEMA_HEADER",service="drift"} 2');
    expect(text).toMatch(new RegExp(`driftwatch_events_consumed_total\\{topic="${topics.predictions.replace('.', '\\.')}",service="drift"\\} 5`));
    expect(text).toMatch(/driftwatch_window_update_seconds_count\{service="drift"\} [1-9]/);
    expect(text).toMatch(/driftwatch_consumer_lag\{topic="rt\.predictions",partition="\d",service="drift"\} 0/);
  });

  it('is not ready until it consumes: /readyz is 503 while onStart runs, 200 after', async () => {
    bus = new MemoryBus({ logger });
    const port = await freePort();
    let duringStart: { status: number; body: string } | undefined;
    handle = await runService({
      name: 'drift',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: { port, host: '127.0.0.1' },
      subscriptions: [],
      onStart: async () => {
        duringStart = await getStatus(port, '/readyz');
      },
    });
    expect(duringStart?.status).toBe(503);
    expect(JSON.parse(duringStart!.body).checks.consuming.ok).toBe(false);
    expect((await getStatus(port, '/readyz')).status).toBe(200);
  });

  it('redelivers the whole batch when the DLQ publish fails, so no valid event is lost', async () => {
    bus = new MemoryBus({ logger, retryInitialMs: 5 });
    const realPublish = bus.publish.bind(bus);
    let dlqFailures = 1;
    bus.publish = async (topic, messages) => {
      if (topic === topics.dlq && dlqFailures-- > 0) throw new Error('DLQ unavailable');
      return realPublish(topic, messages);
    };
    const seen: string[] = [];
    handle = await runService({
      name: 'performance',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: false,
      subscriptions: predictionsConsumer(seen),
    });
    // One key, so valid and invalid share a partition and a batch.
    await bus.publish(topics.predictions, [prediction('x'), { ...garbage(9), key: 'x' }]);
    const letters = await readDeadLetters(bus, 1);
    // The failed attempt threw before the handler used any event; the redelivery applied it.
    expect(dlqFailures).toBeLessThan(0);
    expect(seen).toEqual(['x']);
    expect(letters).toHaveLength(1);
    const letter = codec.decode('deadLetter', letters[0]!.value, letters[0]!.headers);
    expect(letter.offset).toBe(1);
    expect(letters[0]!.key?.toString()).toBe(`${topics.predictions}/${letter.partition}/1`);
    const counted = (await handle.metrics.deadLetters.get()).values;
    expect(counted.map((v) => [v.labels.reason, v.value])).toEqual([['MISSING_SCHEMA_HEADER', 1]]);
  });

  it('refuses embedded mode without the shared bus and keyspace', async () => {
    await expect(
      runService({ name: 'drift', config, keyspace: new MemoryKeyspace(), logger, http: false, subscriptions: [] }),
    ).rejects.toThrow(/MemoryBus/);
    bus = new MemoryBus();
    await expect(runService({ name: 'drift', config, bus, logger, http: false, subscriptions: [] })).rejects.toThrow(
      /MemoryKeyspace/,
    );
  });

  it('refuses a caller probe that would replace a built-in one', async () => {
    bus = new MemoryBus();
    await expect(
      runService({
        name: 'drift',
        config,
        bus,
        keyspace: new MemoryKeyspace(),
        logger,
        http: false,
        subscriptions: [],
        probes: { consuming: async () => {} },
      }),
    ).rejects.toThrow(/built in/);
  });

  it('stops its subscriptions and closes its port, leaving the injected bus open', async () => {
    bus = new MemoryBus({ logger });
    const seen: string[] = [];
    const started = await runService({
      name: 'drift',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: { port: 0, host: '127.0.0.1' },
      subscriptions: predictionsConsumer(seen),
    });
    await started.stop();
    await expect(getStatus(started.port!, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    await bus.publish(topics.predictions, [prediction('after-stop')]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual([]);
  });
});
