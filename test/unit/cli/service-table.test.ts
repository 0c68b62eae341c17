// The service table's lookups: where a service's entry is next to the CLI (built or under tsx),
// which port it gets, and the message for one missing from the build.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../services/cli/program.js';
import { findService, serviceEntry, servicePort, serviceUrl } from '../../../services/cli/service-table.js';
import { missingEntry, serviceChild } from '../../../services/cli/stack-children.js';

const root = mkdtempSync(join(tmpdir(), 'dw-service-table-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function layout(extension: string, services: string[]): string {
  const dir = join(root, extension.slice(1), 'services');
  for (const name of ['cli', ...services]) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, `main${extension}`), '');
  }
  return pathToFileURL(join(dir, 'cli', `main${extension}`)).href;
}

describe('service table', () => {
  it("finds a service's entry beside the CLI, with the CLI's own extension", () => {
    const built = layout('.js', ['drift']);
    expect(serviceEntry('drift', built)).toMatchObject({ exists: true, path: join(root, 'js', 'services', 'drift', 'main.js') });
    expect(serviceEntry('console', built)).toMatchObject({ exists: false, path: join(root, 'js', 'services', 'console', 'main.js') });
    const source = layout('.ts', ['drift']);
    expect(serviceEntry('drift', source)).toMatchObject({ exists: true, path: join(root, 'ts', 'services', 'drift', 'main.ts') });
  });

  it("takes each service's URL and port from its variable, else the default", () => {
    const drift = findService('drift')!;
    expect(serviceUrl(drift, {}).href).toBe('http://127.0.0.1:9465/');
    expect(servicePort(drift, {})).toBe(9465);
    expect(servicePort(drift, { DW_DRIFT_URL: 'http://10.0.0.5:19465' })).toBe(19465);
    expect(servicePort(drift, { DW_DRIFT_URL: 'https://drift.internal' })).toBe(443);
    expect(() => serviceUrl(drift, { DW_DRIFT_URL: 'not a url' })).toThrow('DW_DRIFT_URL is not a URL: "not a url" (expected e.g. http://127.0.0.1:9465)');
    expect(findService('nope')).toBeUndefined();
  });

  it('gives a child its ops port (DW_HTTP_PORT only kept when asked), and names a missing entry', () => {
    const performance = findService('performance')!;
    // This checkout: the source entries exist beside services/cli/*.ts.
    expect(missingEntry(performance)).toBeNull();
    const child = serviceChild(performance, { DW_PERFORMANCE_URL: 'http://127.0.0.1:4000', DW_HTTP_PORT: '5000' });
    expect(child.env.DW_HTTP_PORT).toBe('4000');
    expect(serviceChild(performance, { DW_HTTP_PORT: '5000' }, { keepHttpPort: true }).env.DW_HTTP_PORT).toBe('5000');
    const ghost = { ...performance, name: 'ghost' };
    expect(missingEntry(ghost)).toMatch(/^ghost is not in this build: .*services\/ghost\/main\.ts is missing \(run `npm run build`/);
    expect(() => serviceChild(ghost, {})).toThrow(CliError);
  });

  it('leaves the notifier out without a notification sink, and only then', () => {
    const notifier = findService('notifier')!;
    expect(notifier.skipReason?.({})).toMatch(/^no notification sink configured/);
    expect(notifier.skipReason?.({ DW_NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:1/hook' })).toBeNull();
    expect(notifier.skipReason?.({ DW_NOTIFY_CONFIG: '/etc/dw/notifications.yaml' })).toBeNull();
    expect(findService('drift')!.skipReason).toBeUndefined();
  });
});
