import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { logLevel } from 'kafkajs';
import type { LogEntry } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectFailures, KafkaConnectionError, recordingLogCreator } from '../../../shared/bus/connect-failure.js';
import { BusUnavailableError } from '../../../shared/bus/errors.js';
import { KafkaBus, securityOptions } from '../../../shared/bus/kafka-bus.js';
import { startFakeSaslBroker, type FakeSaslBroker } from '../../support/fake-sasl-broker.js';
import { makeTestCertificates, type TestCertificates } from '../../support/tls-certs.js';

describe('securityOptions', () => {
  it('passes TLS and SASL to kafkajs only when configured', () => {
    expect(securityOptions(undefined)).toEqual({});
    expect(securityOptions({ ssl: false })).toEqual({});
    expect(securityOptions({ ssl: true })).toEqual({ ssl: true });
    const sasl = { mechanism: 'scram-sha-512' as const, username: 'u', password: 'p' };
    expect(securityOptions({ ssl: true, sasl })).toEqual({ ssl: true, sasl });
  });

  it('passes a private CA, a client certificate and rejectUnauthorized as node:tls options', () => {
    const ca = Buffer.from('ca'), cert = Buffer.from('cert'), key = Buffer.from('key');
    expect(securityOptions({ ssl: { ca, cert, key } })).toEqual({ ssl: { ca, cert, key } });
    expect(securityOptions({ ssl: { rejectUnauthorized: false } })).toEqual({ ssl: { rejectUnauthorized: false } });
    // An absent field stays absent, so node's default (verify) applies.
    expect(securityOptions({ ssl: { ca, rejectUnauthorized: undefined } })).toEqual({ ssl: { ca } });
  });
});

describe('BusUnavailableError', () => {
  it('keeps the deadline wording and adds the last failure as message and cause', () => {
    const cause = new KafkaConnectionError('Connection error: unable to verify the first certificate');
    const error = new BusUnavailableError(['b:9093'], 15_000, { cause });
    expect(error.message).toBe('Kafka brokers b:9093 unreachable within 15000 ms: Connection error: unable to verify the first certificate');
    expect(error.cause).toBe(cause);
    expect(new BusUnavailableError(['b:9093'], 15_000).message).toBe('Kafka brokers b:9093 unreachable within 15000 ms');
    const early = new BusUnavailableError(['b:9093'], 15_000, { cause: new Error('SASL PLAIN authentication failed'), beforeDeadline: true });
    expect(early.message).toBe('Kafka brokers b:9093: connection failed: SASL PLAIN authentication failed');
  });
});

describe('ConnectFailures', () => {
  const entry = (namespace: string, message: string, level = logLevel.ERROR, error?: string): LogEntry => ({
    namespace,
    level,
    label: 'ERROR',
    log: { timestamp: '', message, ...(error ? { error } : {}) },
  });

  it("prefers the connection's own error, and only reports failures after the attempt's mark", () => {
    const failures = new ConnectFailures();
    failures.record(entry('Connection', 'Connection error: old'));
    const mark = failures.mark();
    expect(failures.since(mark)).toBeUndefined();
    failures.record(entry('BrokerPool', 'Failed to connect to seed broker, trying another broker from the list: Connection error: x'));
    expect(failures.since(mark)).toMatch(/^Failed to connect to seed broker/);
    failures.record(entry('Connection', 'Connection error: connect ECONNREFUSED 127.0.0.1:1'));
    failures.record(entry('Connection', 'ignored: only errors count', logLevel.WARN));
    expect(failures.since(mark)).toBe('Connection error: connect ECONNREFUSED 127.0.0.1:1');
  });

  it('records even what the service logger does not print, and forwards only what it does', () => {
    const failures = new ConnectFailures();
    const forwarded: LogEntry[] = [];
    const creator = recordingLogCreator(() => (e) => void forwarded.push(e), failures, logLevel.NOTHING);
    creator(logLevel.ERROR)(entry('Connection', 'Response SaslAuthenticate', logLevel.ERROR, 'Authentication failed'));
    expect(forwarded).toHaveLength(0);
    expect(failures.since(0)).toBe('Authentication failed');
  });
});

// Real sockets on this machine, no broker needed: a TLS listener with a private CA, and a fake
// broker that refuses SASL logins as Kafka does.
describe('KafkaBus.connect says why it could not connect', () => {
  const logger = pino({ level: 'silent' });
  let certs: TestCertificates;
  let tlsServer: ReturnType<typeof createServer>;
  let tlsAddress: string;
  let sasl: FakeSaslBroker;

  beforeAll(async () => {
    certs = makeTestCertificates();
    tlsServer = createServer({ cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) }, (socket) => socket.destroy());
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsAddress = `127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
    sasl = await startFakeSaslBroker();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    await sasl.close();
    certs.remove();
  });

  it('names the certificate problem when the CA is not trusted, at the deadline', async () => {
    const started = Date.now();
    const error = await KafkaBus.connect({ brokers: [tlsAddress], logger, security: { ssl: true }, connectTimeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_500 + 1_500);
    expect(error).toBeInstanceOf(BusUnavailableError);
    expect((error as Error).message).toMatch(/unreachable within 1500 ms: Connection error: (unable to verify the first certificate|self[- ]signed certificate)/);
    expect((error as Error).cause).toBeInstanceOf(KafkaConnectionError);
  });

  it('gets past the certificate with the private CA (KAFKA_SSL_CA)', async () => {
    const ssl = { ca: readFileSync(certs.caCert) };
    const error = await KafkaBus.connect({ brokers: [tlsAddress], logger, security: { ssl }, connectTimeoutMs: 1_500 }).catch((e: unknown) => e);
    // The listener is not Kafka: the handshake succeeds and it hangs up.
    expect((error as Error).message).not.toMatch(/certificate/);
    expect((error as Error).message).toMatch(/unreachable within 1500 ms: (Closed connection|Connection error)/);
  });

  it('fails at once on a refused SASL login, naming it, and keeps the password out of the error', async () => {
    for (const mechanism of ['plain', 'scram-sha-512'] as const) {
      const started = Date.now();
      const error = await KafkaBus.connect({
        brokers: [sasl.address],
        logger,
        security: { sasl: { mechanism, username: 'alice', password: 'Wr0ng-Kafka-pw' } },
        connectTimeoutMs: 10_000,
      }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((error as Error).message).toMatch(/^Kafka brokers 127\.0\.0\.1:\d+: connection failed: SASL .* authentication failed/);
      expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('Wr0ng-Kafka-pw');
    }
    // PLAIN sends the password itself: the broker got it, so it was there to leak.
    expect(sasl.received().includes('Wr0ng-Kafka-pw')).toBe(true);
  });
});
