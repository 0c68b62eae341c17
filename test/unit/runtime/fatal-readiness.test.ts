// After a consumer failed for good (e.g. its SASL re-authentication was refused after a
// password rotation), the services stop through exitOnFatal and exit 1. Until the process is
// gone: /readyz keeps naming the crash rather than "starting or stopping", and the one fatal
// line names the cause in its message, not only in its `err` field.
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { ConsumerStatus, SubscribeOptions, Subscription } from '../../../shared/bus/types.js';
import { loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { exitOnFatal, runService } from '../../../shared/runtime/run-service.js';
import type { ServiceHandle } from '../../../shared/runtime/run-service.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';
import { topicNames } from '../../../shared/topics.js';

const config = loadRuntimeConfig({ DW_MODE: 'embedded', DW_TOPIC_PREFIX: 'fr.', DW_TOPIC_PARTITIONS: '1' });
const topics = topicNames('fr.');

/** A MemoryBus that keeps each subscription's onStatus so a test can play kafkajs's part. */
class StatusBus extends MemoryBus {
  readonly statuses: ((status: ConsumerStatus) => void)[] = [];
  override subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (options.onStatus) this.statuses.push(options.onStatus);
    return super.subscribe(options);
  }
}

function readyz(port: number): Promise<{ status: number; body: { checks: Record<string, { ok: boolean; error?: string }> } }> {
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

describe('a consumer that failed for good, while the service stops', () => {
  let handle: ServiceHandle | undefined;
  let bus: StatusBus | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await handle?.stop();
    handle = undefined;
    await bus?.close();
  });

  it('/readyz names the crash until the ops server closes, and the fatal line names the cause', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const exitCode = process.exitCode;
    bus = new StatusBus({ logger });
    let release!: () => void;
    const stopping = new Promise<void>((resolve) => (release = resolve));
    let stopEntered = false;
    handle = await runService({
      name: 'drift',
      config,
      bus,
      keyspace: new MemoryKeyspace(),
      logger,
      http: { port: 0, host: '127.0.0.1' },
      subscriptions: [{ groupId: 'g', topics: [topics.predictions], handler: async () => {} }],
      // Runs after the subscriptions stopped and before the ops server closes: holds the stop there.
      onStop: async () => {
        stopEntered = true;
        await stopping;
      },
      onFatal: exitOnFatal(60_000),
    });
    const port = handle.port!;
    expect((await readyz(port)).status).toBe(200);

    const cause = 'SASL SCRAM SHA512 authentication failed: Authentication failed during re-authentication due to invalid credentials';
    bus.statuses[0]!({ state: 'failed', error: new Error(cause) });
    while (!stopEntered) await new Promise((resolve) => setTimeout(resolve, 5));
    try {
      const during = await readyz(port);
      expect(during.status).toBe(503);
      expect(during.body.checks.consuming!.error).toBe(`consumer of group g crashed and will not restart: ${cause}`);
      const fatal = lines.filter((line) => line.level === 60);
      expect(fatal).toHaveLength(1);
      expect(fatal[0]!.msg).toBe(`drift: a consumer failed for good (${cause}); stopping and exiting with status 1`);
    } finally {
      release();
      await handle.stop();
      handle = undefined;
      process.exitCode = exitCode;
    }
    expect(exit).toHaveBeenCalledWith(1);
  });
});
