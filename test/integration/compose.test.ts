// docker-compose.yml cannot be run here (no Docker daemon), but docker-compose can still
// validate it against the Compose schema and resolve anchors, defaults and dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const repoRoot = resolve(import.meta.dirname, '../..');
const composeFile = join(repoRoot, 'docker-compose.yml');
const scratch = mkdtempSync(join(tmpdir(), 'dw-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The console's token, which the file requires (the console serves beyond loopback only with one). */
const CONSOLE_TOKEN = 'compose-test-token';

function compose(file: string, ...args: string[]) {
  return composeWithEnv({ DW_CONSOLE_TOKEN: CONSOLE_TOKEN }, file, ...args);
}

function composeWithEnv(env: Record<string, string | undefined>, file: string, ...args: string[]) {
  // --project-directory keeps relative paths (the build context) anchored at the repo even
  // when validating a copy that lives elsewhere.
  const result = spawnSync('docker-compose', ['-f', file, '--project-directory', repoRoot, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROJECT_NAME: 'driftwatch-test', ...env },
  });
  if (result.error) throw result.error;
  return result;
}

interface ResolvedService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  ports?: Array<{ published: number | string; target: number }>;
  volumes?: string[];
}

/** `docker-compose config`: anchors merged, variables filled in, relative paths made absolute. */
function resolvedServices(): Record<string, ResolvedService> {
  const resolved = compose(composeFile, 'config');
  expect(resolved.status, resolved.stderr).toBe(0);
  return (parse(resolved.stdout) as { services: Record<string, ResolvedService> }).services;
}

function writeVariant(name: string, transform: (text: string) => string): string {
  const original = readFileSync(composeFile, 'utf8');
  const changed = transform(original);
  expect(changed).not.toBe(original);
  const path = join(scratch, name);
  writeFileSync(path, changed);
  return path;
}

describe('docker-compose.yml', () => {
  it('is a valid Compose file', () => {
    const result = compose(composeFile, 'config', '-q');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('declares Kafka, Redis and the driftwatch service built from the Dockerfile', () => {
    const services = compose(composeFile, 'config', '--services');
    expect(services.status).toBe(0);
    expect(services.stdout.trim().split('\n').sort()).toEqual(expect.arrayContaining(['embedded', 'kafka', 'redis']));

    const resolved = compose(composeFile, 'config');
    expect(resolved.status).toBe(0);
    expect(resolved.stdout).toContain('image: apache/kafka:3.9.1');
    expect(resolved.stdout).toMatch(/image: redis:7\b/);
    expect(resolved.stdout).toContain('KAFKA_PROCESS_ROLES: broker,controller');
    expect(resolved.stdout).toContain('KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"');
    // The anchor must reach the service: same image, addresses and health-gated start.
    expect(resolved.stdout).toContain('KAFKA_BROKERS: kafka:29092');
    expect(resolved.stdout).toContain('condition: service_healthy');
    expect(resolved.stdout).toContain('dist/services/embedded/main.js');
  });

  it('rejects a copy whose Kafka service has lost its image', () => {
    const broken = writeVariant('no-image.yml', (text) => text.replace(/^ {4}image: apache\/kafka:.*\n/m, ''));
    const result = compose(broken, 'config', '-q');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/kafka/);
  });

  it('rejects a copy with an unknown service option', () => {
    const broken = writeVariant('unknown-key.yml', (text) =>
      text.replace(/^( {2}redis:\n)/m, '$1    restart_policy_that_does_not_exist: always\n'),
    );
    const result = compose(broken, 'config', '-q');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/restart_policy_that_does_not_exist/);
  });

  it('runs every driftwatch service, the console with its token, Prometheus and Grafana', () => {
    const services = resolvedServices();
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['performance', 'drift', 'retrainer', 'console', 'notifier', 'prometheus', 'grafana']),
    );
    expect(services.console!.command).toEqual(['node', 'dist/services/console/main.js']);
    expect(services.console!.environment).toMatchObject({ DW_CONSOLE_TOKEN: CONSOLE_TOKEN, KAFKA_BROKERS: 'kafka:29092', DW_RETRAINER_URL: 'http://retrainer:9466' });
    expect(services.notifier!.command).toEqual(['node', 'dist/services/notifier/main.js']);
    // The notifier needs a sink: it starts only with --profile notifier, and takes its sinks from the environment.
    expect(services.notifier!.environment).toMatchObject({ KAFKA_BROKERS: 'kafka:29092', REDIS_URL: 'redis://redis:6379', DW_NOTIFY_WEBHOOK_URL: '' });
    expect(services.notifier!.profiles).toEqual(['notifier']);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:/);
    expect(services.grafana!.image).toMatch(/^grafana\/grafana:/);
  });

  it('refuses to resolve without DW_CONSOLE_TOKEN, saying how to set one', () => {
    const result = composeWithEnv({ DW_CONSOLE_TOKEN: undefined }, composeFile, 'config', '-q');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set DW_CONSOLE_TOKEN to a secret');
  });

  it('mounts files that exist in the repository: the Prometheus config and the Grafana provisioning and dashboards', () => {
    const mounts = Object.values(resolvedServices()).flatMap((service) => service.volumes ?? []).map((volume) => volume.split(':'));
    const binds = mounts.filter(([source]) => source!.startsWith('/'));
    expect(binds.map(([source, target]) => [source, target])).toEqual(
      expect.arrayContaining([
        [join(repoRoot, 'deploy/prometheus.yml'), '/etc/prometheus/prometheus.yml'],
        [join(repoRoot, 'deploy/grafana/provisioning'), '/etc/grafana/provisioning'],
        [join(repoRoot, 'deploy/grafana/dashboards'), '/var/lib/grafana/dashboards/driftwatch'],
      ]),
    );
    for (const [source] of binds) {
      expect(source!.startsWith(repoRoot + '/'), source).toBe(true);
      expect(existsSync(source!), `${source} is mounted but missing`).toBe(true);
    }
    // Grafana's dashboard provider reads the folder the dashboards are mounted on.
    const provider = parse(readFileSync(join(repoRoot, 'deploy/grafana/provisioning/dashboards/driftwatch.yml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provider.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards/driftwatch');
    expect(existsSync(join(repoRoot, 'deploy/grafana/dashboards/driftwatch.json'))).toBe(true);
  });

  it('deploy/prometheus.yml scrapes this stack: each target is a service of the file, on a port it exposes', () => {
    const services = resolvedServices();
    const config = parse(readFileSync(join(repoRoot, 'deploy/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets.map((t) => [job.job_name, t] as const)));
    expect(targets.map(([job]) => job).sort()).toEqual(['console', 'drift', 'notifier', 'performance', 'retrainer']);
    for (const [job, target] of targets) {
      const [host, port] = target.split(':');
      expect(host, `job ${job}`).toBe(job);
      expect(services[host!], `${target} is not a service of docker-compose.yml`).toBeDefined();
      expect((services[host!]!.ports ?? []).map((p) => p.target), `${host} does not expose ${port}`).toContain(Number(port));
    }
  });
});
