import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeJoin, StaticAssets } from '../../../shared/console/static-assets.js';

describe('console static files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'console-page-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>page</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  const assets = new StaticAssets(dir);

  it('serves the page, its assets and uPlot from node_modules with their content types', async () => {
    expect((await assets.lookup('/'))?.body.toString()).toContain('<title>page</title>');
    expect(await assets.lookup('/assets/app.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8' });
    const uplot = await assets.lookup('/assets/uPlot.iife.min.js');
    expect(uplot?.body.toString()).toContain('uPlot');
    expect((await assets.lookup('/assets/uPlot.min.css'))?.contentType).toBe('text/css; charset=utf-8');
  });

  it('refuses anything but a plain file name inside the page directory', async () => {
    for (const path of ['/assets/../package.json', '/assets/%2e%2e%2fpackage.json', '/assets/..', '/assets/.hidden', '/assets/a/b.js', '/assets/', '/package.json', '/assets/missing.js']) {
      expect(await assets.lookup(path), path).toBeNull();
    }
    expect(safeJoin(dir, '../x')).toBeNull();
    expect(safeJoin(dir, '/etc/passwd')).toBeNull();
    expect(safeJoin(dir, 'app.js')).toBe(join(dir, 'app.js'));
  });

  it('answers / with a pointer to the API when the page is not installed', async () => {
    const empty = new StaticAssets(mkdtempSync(join(tmpdir(), 'console-empty-')));
    expect((await empty.lookup('/'))?.body.toString()).toContain('/api/models');
  });
});
