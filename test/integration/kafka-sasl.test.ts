// Kafka credentials on a real broker (issue 9): a single-node Kafka whose only listener is
// SASL_PLAINTEXT, SCRAM-SHA-512 and PLAIN, with connections.max.reauth.ms so that a changed
// password reaches connections that are already open (test/support/sasl-kafka.ts, through
// scripts/kafka.sh KAFKA_SASL=scram). The drift service runs as its own process against it and
// the suite's Redis:
// - the right credentials: ready, consumes what is published;
// - a wrong password (SCRAM, PLAIN): exit 1 at once with one line naming the refused login;
// - the password rotated under a running service: issue 9 found a consumer that crashed for
//   good on the next re-authentication while /readyz said "consuming: ok" with 3,799 events
//   waiting. Here, within the broker's re-authentication interval, /readyz names the failed
//   login and the process exits 1 (exitOnFatal); no answer is 200 after that interval; started
//   again with the new password it consumes everything that waited.
// No password (old or new) appears in any output stream. A missing KAFKA_SSL_CA file is
// test/integration/secrets.test.ts's (exit 2 naming the variable and the path).
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { defaultGroupId, DRIFT_GROUP } from '../../shared/pipeline/services.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import type { PredictionRecord } from '../../shared/sdk/records.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { groupLag } from '../support/kafka-progress.js';
import { captureOutput, type CapturedOutput } from '../support/process-output.js';
import { startSaslKafka, type SaslKafka } from '../support/sasl-kafka.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { until } from '../support/until.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
/** The broker's connections.max.reauth.ms: the longest an open connection keeps an old login. */
const REAUTH_MS = 12_000;
const SASL_FAILURE = /SASL SCRAM SHA512 authentication failed: Authentication failed during (re-)?authentication due to invalid credentials/;

let kafka: SaslKafka;
let bus: KafkaBus;
let admin: Admin;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  kafka = await startSaslKafka({ reauthMs: REAUTH_MS });
  // The test publishes and reads offsets as the admin; the services log in as users of their own.
  bus = await KafkaBus.connect({ brokers: kafka.brokers, logger, security: { sasl: kafka.admin } });
  admin = new Kafka({ brokers: kafka.brokers, sasl: kafka.admin, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all(running.map((service) => service.kill()));
  await admin?.disconnect();
  await bus?.close();
  await kafka?.stop();
});

interface Deployment {
  prefix: string;
  topics: TopicNames;
  model: string;
  group: string;
  client: DriftwatchClient;
}

async function deployment(name: string): Promise<Deployment> {
  const prefix = `${uniqueName(name)}.`;
  const topics = topicNames(prefix);
  await bus.ensureTopics(topicSpecs(topics, 1));
  return { prefix, topics, model: uniqueName(`${name}-model`), group: defaultGroupId(prefix, DRIFT_GROUP), client: new DriftwatchClient({ bus, topics }) };
}

function predictions(model: string, count: number): PredictionRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${model}-${i}-${randomBytes(4).toString('hex')}`,
    model,
    modelVersion: '1',
    features: { x: i },
    predictedClass: 'yes',
    probabilities: { yes: 0.7, no: 0.3 },
  }));
}

interface Credentials {
  mechanism: 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

function startDrift(at: Deployment, credentials: Credentials): { service: ServiceProcess; output: CapturedOutput } {
  const service = startServiceProcess('drift', {
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_SASL_MECHANISM: credentials.mechanism,
    KAFKA_SASL_USERNAME: credentials.username,
    KAFKA_SASL_PASSWORD: credentials.password,
    REDIS_URL: redisUrl(),
    DW_TOPIC_PREFIX: at.prefix,
    DW_TOPIC_PARTITIONS: '1',
    DW_MONITORING_CONFIG_JSON: JSON.stringify({ models: { [at.model]: { task: 'binary', positiveLabel: 'yes' } } }),
    DW_HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    // A member that crashed without leaving the group holds up the next one's join this long.
    KAFKA_SESSION_TIMEOUT_MS: '6000',
  });
  running.push(service);
  return { service, output: captureOutput(service) };
}

/** The ops port of a started service ("service started" names it). */
async function opsPort(output: CapturedOutput): Promise<number> {
  await output.waitFor('"msg":"service started"', 60_000);
  return Number(output.logLines().find((line) => line.msg === 'service started')!.port);
}

type Report = { status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> } };
function get(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}
async function readyz(port: number): Promise<Report> {
  const { status, text } = await get(port, '/readyz');
  return { status, body: JSON.parse(text) };
}
/** driftwatch_events_consumed_total of `topic` in this process (0 before its first batch). */
async function consumed(port: number, topic: string): Promise<number> {
  const { text } = await get(port, '/metrics');
  const line = text.split('\n').find((l) => l.startsWith('driftwatch_events_consumed_total{') && l.includes(`topic="${topic}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** Lines at error level or above, other than kafkajs's own reports of its requests. */
function errorLines(output: CapturedOutput): Array<Record<string, unknown>> {
  return output.logLines().filter((line) => Number(line.level) >= 50 && line.component !== 'kafkajs');
}

function expectNowhere(output: CapturedOutput, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(output.stdout()).not.toContain(secret);
    expect(output.stderr()).not.toContain(secret);
  }
}

describe('the drift service on a SASL_PLAINTEXT broker', () => {
  it('with the right SCRAM credentials: ready, consumes what is published, no password in any output', async () => {
    const at = await deployment('sasl-ok');
    const credentials: Credentials = { mechanism: 'scram-sha-512', username: 'monitor', password: `monitor-${randomBytes(8).toString('hex')}` };
    await kafka.setScramPassword('monitor', credentials.password);
    const { service, output } = startDrift(at, credentials);
    const port = await opsPort(output);
    await until('/readyz 200', () => readyz(port), (r) => r.status === 200, 30_000, service);

    await at.client.logPredictions(predictions(at.model, 5));
    await until('5 predictions consumed', () => consumed(port, at.topics.predictions), (n) => n >= 5, 30_000, service);
    await until('the group caught up', () => groupLag(admin, at.group, [at.topics.predictions]), (lag) => lag === 0, 30_000, service);
    expect(await consumed(port, at.topics.predictions)).toBe(5);
    expect((await readyz(port)).status).toBe(200);

    expect(await service.stop()).toBe(0);
    expect(errorLines(output), output.stdout()).toEqual([]);
    expectNowhere(output, credentials.password);
  });

  it.each([
    { mechanism: 'scram-sha-512', username: 'monitor', cause: /SASL SCRAM SHA512 authentication failed/ },
    { mechanism: 'plain', username: 'admin', cause: /SASL PLAIN authentication failed/ },
  ] as const)('with a wrong $mechanism password: exit 1 at once, one line naming the refused login, the password in no output', async ({ mechanism, username, cause }) => {
    const at = await deployment('sasl-wrong');
    const password = `wrong-kafka-pw-${randomBytes(6).toString('hex')}`;
    const started = Date.now();
    const { service, output } = startDrift(at, { mechanism, username, password });
    expect(await service.exited).toBe(1);
    // A refused login is not retried until the 15 s connect deadline.
    expect(Date.now() - started).toBeLessThan(12_000);
    const errors = errorLines(output);
    expect(errors, output.stdout()).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/^service failed to start: Kafka brokers 127\.0\.0\.1:\d+: connection failed: /);
    expect(errors[0]!.msg).toMatch(cause);
    expectNowhere(output, password);
    expect(output.stderr()).toBe('');
  });

  it('a password rotated under a running service: /readyz names the failed login and it exits 1; with the new password it consumes what waited', async () => {
    const at = await deployment('sasl-rotate');
    const passwordA = `svc-a-${randomBytes(8).toString('hex')}`;
    const passwordB = `svc-b-${randomBytes(8).toString('hex')}`;
    await kafka.setScramPassword('svc', passwordA);
    const first = startDrift(at, { mechanism: 'scram-sha-512', username: 'svc', password: passwordA });
    const port = await opsPort(first.output);
    await until('/readyz 200', () => readyz(port), (r) => r.status === 200, 30_000, first.service);
    await at.client.logPredictions(predictions(at.model, 5));
    await until('the group caught up', () => groupLag(admin, at.group, [at.topics.predictions]), (lag) => lag === 0, 30_000, first.service);
    expect(await consumed(port, at.topics.predictions)).toBe(5);

    // The rotation: svc's password changes on the broker; the service still holds A.
    await kafka.setScramPassword('svc', passwordB);
    const rotatedAt = Date.now();
    await at.client.logPredictions(predictions(at.model, 7));

    // /readyz and the group's lag, side by side, every few ms until the process is gone (the
    // stop after a fatal crash takes a few hundred ms; the samples must not miss it).
    // /readyz is sampled in a loop of its own: an admin lag request can take a few hundred ms,
    // longer than the not-ready window before the exit, which a joint loop could step over.
    const samples: Array<{ ms: number; status: number | 'down'; lag: number; failing: string[] }> = [];
    let exitedAt: number | undefined;
    void first.service.exited.then(() => (exitedAt = Date.now()));
    const sampling = (): boolean => exitedAt === undefined && Date.now() - rotatedAt < REAUTH_MS + 20_000;
    let lag = await groupLag(admin, at.group, [at.topics.predictions]);
    const lagLoop = (async () => {
      while (sampling()) {
        lag = await groupLag(admin, at.group, [at.topics.predictions]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    while (sampling()) {
      const report = await readyz(port).catch(() => undefined);
      const failing = report ? Object.entries(report.body.checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.error}`) : [];
      samples.push({ ms: Date.now() - rotatedAt, status: report?.status ?? 'down', lag, failing });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await lagLoop;
    const exitCode = await Promise.race([first.service.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 1_000))]);
    const exitMs = (exitedAt ?? Number.NaN) - rotatedAt;
    const answered = samples.filter((s) => s.status !== 'down');
    const firstRefusal = answered.findIndex((s) => s.status !== 200);
    const timeline = {
      exitMs,
      leftByFirst: await groupLag(admin, at.group, [at.topics.predictions]),
      okAnswers: answered.filter((s) => s.status === 200).map((s) => `${s.ms}ms lag ${s.lag}`),
      firstNotReady: answered[firstRefusal],
      notReadyAnswers: answered.filter((s) => s.status !== 200).length,
    };
    console.info(`kafka-sasl rotation: ${JSON.stringify(timeline)}`);

    // The consumer crashed for good on its failed re-authentication: exit 1, within the interval.
    expect(exitCode, first.output.stdout()).toBe(1);
    expect(exitMs).toBeLessThan(REAUTH_MS + 10_000);
    // Until then /readyz named the refused login in every answer that was not 200; it was
    // never 200 again after the first refusal, nor later than the re-authentication interval,
    // so never "ready" with predictions waiting beyond the time an old login stays valid.
    // The not-ready window lasts from the failed re-login to the exit (0.3-0.5 s here) and one
    // /readyz answer takes up to a few hundred ms while Kafka refuses, so on a loaded machine the
    // process can be gone before an answer comes back: then no refusal was seen, and what holds
    // is the rest (no late 200, the exit, the one fatal line naming the refused login).
    const refusals = firstRefusal < 0 ? [] : answered.slice(firstRefusal);
    for (const sample of refusals) {
      expect(sample.status, JSON.stringify(sample)).toBe(503);
      expect(sample.failing.join('; '), JSON.stringify(sample)).toMatch(SASL_FAILURE);
    }
    for (const sample of answered) if (sample.status === 200) expect(sample.ms).toBeLessThan(REAUTH_MS);
    // One fatal line names the cause; every other error line of ours is about the same failure.
    const fatal = first.output.logLines().filter((line) => Number(line.level) === 60);
    expect(fatal, first.output.stdout()).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(/^drift: a consumer failed for good \(SASL SCRAM SHA512 authentication failed: .*\); stopping and exiting with status 1$/);
    for (const line of errorLines(first.output)) {
      expect(`${String(line.msg)} ${String((line.err as { message?: string } | undefined)?.message)}`, JSON.stringify(line)).toMatch(SASL_FAILURE);
    }
    expectNowhere(first.output, passwordA, passwordB);

    // What waits: the predictions published after the rotation that the dying consumer did not
    // commit, and more published while no service runs.
    const leftByFirst = await groupLag(admin, at.group, [at.topics.predictions]);
    expect(leftByFirst).toBeLessThanOrEqual(7);
    await at.client.logPredictions(predictions(at.model, 4));
    const waiting = leftByFirst + 4;
    expect(await groupLag(admin, at.group, [at.topics.predictions])).toBe(waiting);

    // Started again with the new password, as a supervisor would after the operator updated it.
    const second = startDrift(at, { mechanism: 'scram-sha-512', username: 'svc', password: passwordB });
    const port2 = await opsPort(second.output);
    await until('/readyz 200 with the new password', () => readyz(port2), (r) => r.status === 200, 60_000, second.service);
    await until('the group caught up', () => groupLag(admin, at.group, [at.topics.predictions]), (lag) => lag === 0, 60_000, second.service);
    expect(await consumed(port2, at.topics.predictions)).toBe(waiting);
    expect(await second.service.stop()).toBe(0);
    expect(errorLines(second.output), second.output.stdout()).toEqual([]);
    expectNowhere(second.output, passwordA, passwordB);
  });
});
