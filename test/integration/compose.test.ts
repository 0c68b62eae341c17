// docker-compose.yml cannot be run here (no Docker daemon), but docker-compose can still
// validate it against the Compose schema and resolve anchors, defaults and dependencies.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');
const composeFile = join(repoRoot, 'docker-compose.yml');
const scratch = mkdtempSync(join(tmpdir(), 'dw-compose-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function compose(file: string, ...args: string[]) {
  // --project-directory keeps relative paths (the build context) anchored at the repo even
  // when validating a copy that lives elsewhere.
  const result = spawnSync('docker-compose', ['-f', file, '--project-directory', repoRoot, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COMPOSE_PROJECT_NAME: 'driftwatch-test' },
  });
  if (result.error) throw result.error;
  return result;
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
});
