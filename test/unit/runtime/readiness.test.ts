// /readyz follows the consumers (run-service + ConsumerHealth) on the in-memory bus, with the
// bus's crash reports injected the way KafkaBus delivers them (SubscribeOptions.onStatus).
import { request } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { ConsumerStatus, SubscribeOptions, Subscription } from '../../../shared/bus/types.js';
import { loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { runService } from '../../../shared/runtime/run-service.js';
import type { ServiceHandle } from '../../../shared/runtime/run-service.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';
import { topicNames } from '../../../shared/topics.js';

const logger = pino({ level: 'silent' });
const config = loadRuntimeConfig({ DW_MODE: 'embedded', DW_TOPIC_PREFIX: 'rd.', DW_TOPIC_PARTITIONS: '1' });
const topics = topicNames('rd.');

/** A MemoryBus that keeps each subscription's onStatus so a test can play kafkajs's part. */
class StatusBus extends MemoryBus {
  readonly statuses: ((status: ConsumerStatus) => void)[] = [];
  override subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (options.onStatus) this.statuses.push(options.onStatus);
    return super.subscribe(options);
  }
}

function readyz(port: number): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('readiness follows the consumers', () => {
  let handle: ServiceHandle | undefined;
  let bus: StatusBus;
  afterEach(async () => {
    await handle?.stop();
    handle = undefined;
    await bus?.close();
  });

  it('a crash without restart: /readyz 503 naming it, onFatal called once with a working stop()', async () => {
    bus = new StatusBus({ logger });
    const fatal: Error[] = [];
    let stopService: (() => Promise<void>) | undefined;
    handle = await runService({
      name: 'drift',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: { port: 0, host: '127.0.0.1' },
      subscriptions: [
        { groupId: 'a', topics: [topics.predictions], handler: async () => {} },
        { groupId: 'b', topics: [topics.labels], handler: async () => {} },
      ],
      onFatal: (error, service) => {
        fatal.push(error);
        stopService = service.stop;
      },
    });
    const port = handle.port!;
    expect((await readyz(port)).status).toBe(200);

    // A retriable crash: not ready until kafkajs's restart rejoined the group.
    bus.statuses[0]!({ state: 'restarting', error: new Error('Connection timeout') });
    const restarting = await readyz(port);
    expect(restarting.status).toBe(503);
    expect(restarting.body.checks.consuming!.error).toMatch(/group a crashed and is restarting: Connection timeout/);
    bus.statuses[0]!({ state: 'running' });
    expect((await readyz(port)).status).toBe(200);
    expect(fatal).toEqual([]);

    const error = new Error('SASL authentication failed');
    bus.statuses[1]!({ state: 'failed', error });
    const failed = await readyz(port);
    expect(failed.status).toBe(503);
    expect(failed.body.checks.consuming!.error).toMatch(/group b crashed and will not restart: SASL authentication failed/);
    bus.statuses[0]!({ state: 'failed', error: new Error('second') });
    expect(fatal).toEqual([error]);
    // What exitOnFatal does before exiting: stop everything; the ops server closes with it.
    await stopService!();
    await expect(readyz(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a handler stuck on one batch: /readyz 503 "stuck" after stuckAfterMs, 200 once it finishes', async () => {
    bus = new StatusBus({ logger });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    handle = await runService({
      name: 'drift',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: { port: 0, host: '127.0.0.1' },
      stuckAfterMs: 300,
      subscriptions: [
        {
          groupId: 'slow',
          topics: [topics.predictions],
          handler: async () => {
            entered = true;
            await blocked;
          },
        },
      ],
    });
    const port = handle.port!;
    await bus.publish(topics.predictions, [{ key: 'k', value: Buffer.from('x'), headers: {} }]);
    await until(() => entered, 'the handler to start');
    expect((await readyz(port)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const stuck = await readyz(port);
    expect(stuck.status).toBe(503);
    expect(stuck.body.checks.consuming!.error).toMatch(/^stuck: group slow has been handling rd\.predictions\/0 from offset 0/);
    release();
    await until(async () => (await readyz(port)).status === 200, '/readyz 200 again');
  });
});
