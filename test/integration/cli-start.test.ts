// `driftwatch start` through the real built binary against the real broker and Redis: the
// stack's services come up ready on their ports; Ctrl-C (SIGINT) stops every one of them and
// exits 0; a service that dies takes the others down and fails the command; --embedded runs
// the in-memory demo and stops it on Ctrl-C.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVICES, serviceEntry } from '../../services/cli/service-table.js';
import { BUILT_CLI, killSpawnedClis, spawnCli, type CliProcess } from '../support/cli.js';
import { readyStatus, stackEnv } from '../support/stack-env.js';
import { until } from '../support/until.js';

/** Children of every start run: detached, so killing the CLI would leave them; afterEach does. */
const childPids: number[] = [];

afterEach(() => {
  killSpawnedClis();
  for (const pid of childPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids `start` reports ("driftwatch: started drift (pid 123)"), once every one is started. */
async function startedPids(start: CliProcess, names: string[]): Promise<Record<string, number>> {
  for (const name of names) await start.waitFor(new RegExp(`started ${name} \\(pid \\d+\\)`), 30_000);
  const pids = Object.fromEntries(names.map((name) => [name, Number(new RegExp(`started ${name} \\(pid (\\d+)\\)`).exec(start.stderr())![1])]));
  childPids.push(...Object.values(pids));
  return pids;
}

/** The services this build has: the required ones, and the optional ones only when built next to the CLI. */
const built = SERVICES.filter((s) => !s.optional || existsSync(serviceEntry(s.name, pathToFileURL(BUILT_CLI).href).path));
/** What `start` runs in a stack environment (no notification sink there: the notifier is left out). */
const started = (env: NodeJS.ProcessEnv) => built.filter((s) => (s.skipReason?.(env) ?? null) === null);
const required = ['performance', 'drift', 'retrainer'];

describe('driftwatch start (built binary)', () => {
  it('runs every service of the stack, each ready on its port; Ctrl-C stops them all and exits 0', async () => {
    const stack = await stackEnv('cli-start');
    const start = spawnCli(['start'], stack.env);
    const running = started(stack.env);
    expect(running.map((s) => s.name)).not.toContain('notifier');
    const pids = await startedPids(start, running.map((s) => s.name));
    for (const row of SERVICES.filter((s) => !running.includes(s))) {
      expect(start.stderr()).toContain(`driftwatch: ${row.name}: skipped, `);
    }
    expect(start.stderr()).toContain('driftwatch: notifier: skipped, no notification sink configured');
    for (const name of running.map((s) => s.name)) {
      await until(`${name} /readyz 200`, () => readyStatus(stack.ports[name]!), (s) => s === 200, 120_000);
    }
    expect(start.stderr()).toContain(`driftwatch: running ${running.map((s) => s.name).join(', ')} against ${stack.env.KAFKA_BROKERS}`);

    expect(await start.stop('SIGINT')).toBe(0);
    expect(start.stderr()).toContain('driftwatch: SIGINT: stopping');
    for (const name of running.map((s) => s.name)) {
      expect(await readyStatus(stack.ports[name]!)).toBe(0);
      expect(alive(pids[name]!)).toBe(false);
    }
  });

  it('stops the others and exits 1 when one service dies', async () => {
    const stack = await stackEnv('cli-start-dies');
    const start = spawnCli(['start'], stack.env);
    const pids = await startedPids(start, required);
    for (const name of required) {
      await until(`${name} /readyz 200`, () => readyStatus(stack.ports[name]!), (s) => s === 200, 120_000);
    }
    process.kill(pids.drift!, 'SIGKILL');
    expect(await start.exited).toBe(1);
    expect(start.stderr()).toContain('driftwatch: drift was killed by SIGKILL; stopping');
    expect(start.stderr()).toMatch(/driftwatch: drift was killed by SIGKILL; stopped the others\n$/);
    for (const name of ['performance', 'retrainer']) {
      expect(await readyStatus(stack.ports[name]!)).toBe(0);
      expect(alive(pids[name]!)).toBe(false);
    }
  });

  it('--embedded runs the in-memory demo (no Kafka needed); Ctrl-C stops it', async () => {
    const start = spawnCli(['start', '--embedded', '--', '--drift-after', '30', '--rate', '50'], { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' });
    await startedPids(start, ['embedded demo']);
    await start.waitFor('driftwatch demo (embedded)', 30_000);
    await start.waitFor(/ModelWatcher loaded v1; predicting/, 90_000);
    // Interrupted before its verdict: the demo's own code, 1.
    expect(await start.stop('SIGINT')).toBe(1);
    expect(start.stdout()).toContain('(interrupted)');
    expect(start.stderr()).toContain('driftwatch: embedded demo exited with code 1');
  });

  it('--embedded passes a bad demo option on as the demo\'s usage error (2); demo options without --embedded are a usage error', async () => {
    const bad = spawnCli(['start', '--embedded', '--', '--rate', 'fast'], process.env);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/driftwatch demo: .*rate/);
    const stray = spawnCli(['start', 'extra'], process.env);
    expect(await stray.exited).toBe(2);
    expect(stray.stderr()).toContain('error: unexpected arguments extra: only --embedded takes demo options (after --)');
  });
});
