// `driftwatch service <name>` and `driftwatch status` through the real built binary against the
// real broker and Redis: the drift service runs in the foreground and answers /readyz; status
// shows it ready, the others not (exit 1), and the lag of groups that have not consumed what
// `produce` published; SIGTERM stops the service with 0.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../support/until.js';
import { killSpawnedClis, runCliBinary, spawnCli } from '../support/cli.js';
import { readyStatus, stackEnv, type StackEnv } from '../support/stack-env.js';

interface StatusJson {
  ready: boolean;
  services: { service: string; url: string; ready: boolean; detail: string; skipped?: boolean }[];
  consumerGroups: { group: string; topic: string; state: string; lag: number | null; committed: boolean }[];
}

let stack: StackEnv;

beforeAll(async () => {
  stack = await stackEnv('cli-service');
});

afterEach(killSpawnedClis);

const status = async (args: string[] = []) => {
  const run = await runCliBinary(['status', '--json', ...args], stack.env);
  return { code: run.code, body: JSON.parse(run.stdout) as StatusJson, stderr: run.stderr };
};

describe('driftwatch service and status (built binary)', () => {
  it('service drift: ready on its port, seen by status with the lag of the groups that did not consume; SIGTERM exits 0', async () => {
    const port = stack.ports.drift!;
    const drift = spawnCli(['service', 'drift'], stack.env);
    await until('drift /readyz 200', () => readyStatus(port), (s) => s === 200, 90_000);
    expect(drift.stderr()).toContain(`driftwatch: drift: ops on port ${port}`);

    const produced = await runCliBinary(['produce', '--count', '40', '--seed', '3'], stack.env);
    expect(produced.code).toBe(0);
    const labels = Number(/and (\d+) labels/.exec(produced.stdout)![1]);

    // The drift group catches up; nothing else runs, so the performance group owes everything.
    const { prefix } = stack;
    const seen = await until(
      'the drift group to consume the predictions',
      () => status(),
      (s) => s.body.consumerGroups.some((g) => g.group === `${prefix}drift` && g.topic === `${prefix}predictions` && g.lag === 0 && g.committed),
      60_000,
    );
    expect(seen.code).toBe(1);
    expect(seen.stderr).toMatch(/^driftwatch: not ready: performance, retrainer/);
    expect(seen.body.ready).toBe(false);
    const byName = Object.fromEntries(seen.body.services.map((s) => [s.service, s]));
    expect(byName.drift).toMatchObject({ ready: true, detail: 'ready', url: `http://127.0.0.1:${port}` });
    expect(byName.performance).toMatchObject({ ready: false, detail: 'not running (connection refused)' });
    expect(byName.retrainer).toMatchObject({ ready: false });
    const lag = (group: string, topic: string) => seen.body.consumerGroups.find((g) => g.group === `${prefix}${group}` && g.topic === `${prefix}${topic}`);
    expect(lag('drift', 'predictions')).toMatchObject({ state: 'Stable', lag: 0, committed: true });
    expect(lag('performance', 'predictions')).toMatchObject({ state: 'absent', lag: 40, committed: false });
    expect(lag('performance', 'labels')).toMatchObject({ lag: labels, committed: false });
    expect(lag('retrainer', 'alerts')).toMatchObject({ lag: 0 });

    // The table, and only the ready service asked for: exit 0.
    const table = await runCliBinary(['status', '--service', 'drift'], stack.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^SERVICE\\s+URL\\s+READY\\s+DETAIL\\ndrift\\s+http://127\\.0\\.0\\.1:${port}\\s+yes\\s+ready\\n`));
    expect(table.stdout).toMatch(new RegExp(`${prefix.replace(/\./g, '\\.')}drift\\s+${prefix.replace(/\./g, '\\.')}predictions\\s+Stable\\s+0\\n`));
    const text = await runCliBinary(['status'], stack.env);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/performance\s+http:\S+\s+NO\s+not running \(connection refused\)/);
    expect(text.stdout).toMatch(/\.performance\s+\S+\.predictions\s+absent\s+40 \(nothing committed\)/);

    expect(await drift.stop('SIGTERM')).toBe(0);
    expect(await readyStatus(port)).toBe(0);
  });

  it('service with an unknown name exits 2 listing the known services; status with one exits 2 too', async () => {
    const run = await runCliBinary(['service', 'nonesuch'], stack.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown service "nonesuch"; known services: performance, drift, retrainer, console, notifier');
    const bad = await runCliBinary(['status', '--service', 'nonesuch'], stack.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown service "nonesuch"; known services: performance, drift, retrainer, console, notifier');
  });

  it('service passes the service\'s exit code through: 2 for bad settings', async () => {
    const run = await runCliBinary(['service', 'performance'], { ...stack.env, DW_TOPIC_PARTITIONS: 'many' });
    expect(run.code).toBe(2);
    expect(run.stderr + run.stdout).toContain('DW_TOPIC_PARTITIONS');
  });

  it('status exits 1 with one line when Kafka cannot be asked', async () => {
    const run = await runCliBinary(['status', '--service', 'drift'], { ...stack.env, KAFKA_BROKERS: '127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^driftwatch: cannot read consumer lag from 127\.0\.0\.1:1: /);
  });
});
