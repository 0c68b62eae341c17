// Redis over TLS with a private CA, for real: a redis-server with only a TLS port, a
// throwaway CA made with openssl. The settings go through loadRuntimeConfig (REDIS_URL
// rediss://, REDIS_TLS_*) as a service reads them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { StoreUnavailableError } from '../../shared/store/errors.js';
import { connectRedis } from '../../shared/store/redis-connection.js';
import { kafkaBrokers, uniqueName } from '../setup/env.js';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.js';
import { captureOutput } from '../support/process-output.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls-certs.js';

let certs: TestCertificates;
let redis: OwnRedis;
let mutual: OwnRedis;

beforeAll(async () => {
  certs = makeTestCertificates();
  const server = { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert };
  [redis, mutual] = await Promise.all([startOwnRedis({ tls: server }), startOwnRedis({ tls: { ...server, clientCertificate: 'yes' } })]);
});

afterAll(async () => {
  await Promise.all([redis?.stop(), mutual?.stop()]);
  certs?.remove();
});

function redisConfig(env: Record<string, string>): Parameters<typeof connectRedis>[0] {
  const { redis: settings } = loadRuntimeConfig(env);
  return { url: settings.url, ...(settings.tls ? { tls: settings.tls } : {}), readyDeadlineMs: 3_000 };
}

describe('Redis over TLS', () => {
  it('answers PING with the private CA from REDIS_TLS_CA', async () => {
    const client = await connectRedis(redisConfig({ REDIS_URL: `rediss://127.0.0.1:${redis.port}`, REDIS_TLS_CA: certs.caCert }));
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('without the CA, the error names the certificate problem', async () => {
    const error = await connectRedis(redisConfig({ REDIS_URL: `rediss://127.0.0.1:${redis.port}` })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/not ready within 3000 ms \(self[- ]signed certificate in certificate chain\)/);
  });

  it('presents the client certificate from REDIS_TLS_CERT / REDIS_TLS_KEY when the server demands one', async () => {
    const url = `rediss://127.0.0.1:${mutual.port}`;
    const withCert = await connectRedis(
      redisConfig({ REDIS_URL: url, REDIS_TLS_CA: certs.caCert, REDIS_TLS_CERT: certs.clientCert, REDIS_TLS_KEY: certs.clientKey }),
    );
    try {
      expect(await withCert.ping()).toBe('PONG');
    } finally {
      withCert.disconnect();
    }
    await expect(connectRedis(redisConfig({ REDIS_URL: url, REDIS_TLS_CA: certs.caCert }))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a service process gets the settings: without the CA it exits naming the certificate, with it Redis is ready', async () => {
    const env = { DW_HTTP_PORT: '0', DW_TOPIC_PREFIX: `${uniqueName('redis-tls')}.`, KAFKA_BROKERS: kafkaBrokers(), LOG_LEVEL: 'info' };
    const refused: ServiceProcess = startServiceProcess('drift', { ...env, REDIS_URL: `rediss://127.0.0.1:${redis.port}` });
    const refusedOutput = captureOutput(refused);
    const trusted: ServiceProcess = startServiceProcess('drift', { ...env, REDIS_URL: `rediss://127.0.0.1:${redis.port}`, REDIS_TLS_CA: certs.caCert });
    const trustedOutput = captureOutput(trusted);
    try {
      await trustedOutput.waitFor('"msg":"redis ready"', 60_000);
      expect(await refused.exited).toBe(1);
      const failed = refusedOutput.logLines().filter((line) => Number(line.level) >= 50 && line.component !== 'kafkajs');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.msg).toMatch(/self[- ]signed certificate in certificate chain/);
    } finally {
      await Promise.all([refused.kill(), trusted.kill()]);
    }
  });
});
