// The main entry ('driftwatch', shared/index.ts) must not load TensorFlow.js: only the
// 'driftwatch/models' subpath (ModelWatcher) does. Checked in a fresh Node process, where a
// module resolve hook records every URL that resolves into an @tensorflow package (ESM and
// the first step of any CJS load from ESM), and the CJS module cache is inspected too (tfjs'
// own CJS requires bypass ESM hooks on Node 20). A positive control proves the check sees tfjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'dw-no-tfjs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const hooksPath = join(scratch, 'hooks.mjs');
writeFileSync(
  hooksPath,
  `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (specifier.startsWith('@tensorflow/') || result.url.includes('/@tensorflow/')) appendFileSync(out, result.url + '\\n');
  return result;
}
`,
);

interface Loaded {
  resolved: string[];
  cjs: string[];
}

/** Imports `target` in a fresh `node --import tsx` process and lists the @tensorflow modules it loaded. */
function tensorflowModulesLoadedBy(target: string): Loaded {
  const out = join(scratch, `resolved-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(out, '');
  const registrar = join(scratch, `register-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    registrar,
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooksPath).href)}, { data: { out: ${JSON.stringify(out)} } });
`,
  );
  const script = `
import { createRequire } from 'node:module';
await import(${JSON.stringify(target)});
const cache = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify(cache.filter((p) => p.includes('@tensorflow'))));
`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(registrar).href, '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  if (child.status !== 0) throw new Error(`child failed (${child.status}): ${child.stderr}`);
  const resolved = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  return { resolved, cjs: JSON.parse(child.stdout) as string[] };
}

describe('main entry without TensorFlow.js', () => {
  it('importing shared/index.ts loads no @tensorflow module', () => {
    const loaded = tensorflowModulesLoadedBy(pathToFileURL(join(repoRoot, 'shared/index.ts')).href);
    expect(loaded.resolved).toEqual([]);
    expect(loaded.cjs).toEqual([]);
  });

  it('the check sees a tfjs import (positive control)', () => {
    const loaded = tensorflowModulesLoadedBy('@tensorflow/tfjs-core');
    expect(loaded.resolved.length + loaded.cjs.length).toBeGreaterThan(0);
  });

  it('the check sees tfjs loaded through loadTf() (CJS require, positive control)', () => {
    const target = join(scratch, 'load-tf.mjs');
    writeFileSync(
      target,
      `const { loadTf } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'shared/learning/tf.ts')).href)});\nawait loadTf();\n`,
    );
    const loaded = tensorflowModulesLoadedBy(pathToFileURL(target).href);
    expect(loaded.cjs.length).toBeGreaterThan(0);
  });
});
