// The 'driftwatch/models' subpath: package.json points at the build of shared/sdk/models/index.ts,
// and that entry exports the watcher, the registry view and rollback.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as models from '../../../shared/sdk/models/index.js';

const repoRoot = resolve(import.meta.dirname, '../../..');

describe('driftwatch/models', () => {
  it('is a package.json export whose source is shared/sdk/models/index.ts', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    const entry = pkg.exports['./models']!;
    expect(entry).toEqual({ types: './dist/shared/sdk/models/index.d.ts', default: './dist/shared/sdk/models/index.js' });
    const source = entry.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
    expect(existsSync(join(repoRoot, source))).toBe(true);
  });

  it('exports the watcher, the registry view, rollback and the store', () => {
    for (const name of ['ModelWatcher', 'ModelNotReadyError', 'readModelRegistry', 'publishRollback', 'ChampionTracker', 'LocalModelStore', 'IntegrityError']) {
      expect(typeof (models as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
