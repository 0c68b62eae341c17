import { request } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../../../shared/runtime/metrics.js';
import { startOpsServer } from '../../../shared/runtime/ops-server.js';
import type { OpsServer, Probe } from '../../../shared/runtime/ops-server.js';

const logger = pino({ level: 'silent' });

interface Reply {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** A real HTTP request on a fresh connection (Node 20's global agent would reuse a pooled one). */
function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ops server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(probes: Record<string, Probe>, probeTimeoutMs = 2_000) {
    const metrics = createServiceMetrics('drift', { processMetrics: false });
    server = await startOpsServer({ port: 0, host: '127.0.0.1', registry: metrics.registry, probes, probeTimeoutMs, logger });
    return { metrics, port: server.port };
  }

  it('answers /healthz with 200 regardless of the probes', async () => {
    const { port } = await start({ kafka: () => Promise.reject(new Error('down')) });
    expect(port).toBeGreaterThan(0);
    expect((await get(port, '/healthz')).status).toBe(200);
  });

  it('answers /readyz with 200 when every probe passes', async () => {
    const { port } = await start({ kafka: async () => {}, redis: async () => {} });
    const reply = await get(port, '/readyz');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ready: true, checks: { kafka: { ok: true }, redis: { ok: true } } });
  });

  it('answers /readyz with 503 naming the probe that failed, and follows the probe as it recovers', async () => {
    let redisUp = false;
    const { port } = await start({
      kafka: async () => {},
      redis: async () => {
        if (!redisUp) throw new Error('ECONNREFUSED 127.0.0.1:6379');
      },
    });
    const down = await get(port, '/readyz');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({
      ready: false,
      checks: { kafka: { ok: true }, redis: { ok: false, error: 'ECONNREFUSED 127.0.0.1:6379' } },
    });
    redisUp = true;
    expect((await get(port, '/readyz')).status).toBe(200);
  });

  it('counts a probe that hangs as failed once its timeout passes', async () => {
    const { port } = await start({ kafka: () => new Promise<void>(() => {}) }, 50);
    const reply = await get(port, '/readyz');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body).checks.kafka.error).toContain('within 50 ms');
  });

  it('serves the registry as Prometheus text on /metrics', async () => {
    const { metrics, port } = await start({});
    metrics.deadLetters.inc({ reason: 'NON_FINITE' }, 4);
    const reply = await get(port, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.contentType).toContain('text/plain');
    expect(reply.body).toContain('# TYPE driftwatch_dlq_total counter');
    expect(reply.body).toContain('driftwatch_dlq_total{reason="NON_FINITE",service="drift"} 4');
  });

  it('answers unknown paths with 404 and other methods with 405', async () => {
    const { port } = await start({});
    expect((await get(port, '/nope')).status).toBe(404);
    expect((await get(port, '/healthz', 'POST')).status).toBe(405);
    expect((await get(port, '/healthz', 'HEAD')).status).toBe(200);
  });

  it('closes cleanly and frees its port', async () => {
    const { port } = await start({});
    await get(port, '/healthz');
    await server!.close();
    server = undefined;
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });
});
