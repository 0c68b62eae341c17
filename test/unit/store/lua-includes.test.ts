import { describe, expect, it } from 'vitest';
import { expandLuaIncludes } from '../../../shared/store/lua-scripts.js';

const base = new URL('../../../shared/monitor-state/', import.meta.url);
const storeBase = new URL('../../../shared/store/', import.meta.url);

describe('expandLuaIncludes', () => {
  it('replaces every include line by its fragment, once each', () => {
    const source = expandLuaIncludes(base, 'apply-drift-batch.lua');
    expect(source).not.toMatch(/^--- @include/m);
    // Each fragment's functions are defined exactly once.
    expect(source.match(/local function refused_offset\(/g)).toHaveLength(1);
    expect(source.match(/local function flush\(/g)).toHaveLength(1);
  });

  it('shares the offset fragment between both apply scripts instead of copies', () => {
    for (const file of ['apply-drift-batch.lua', 'apply-perf-deltas.lua']) {
      const raw = expandLuaIncludes(base, file).split('-- begin lib-offsets.lua')[1] ?? '';
      expect(raw).toContain('local function record_offset(');
    }
  });

  it('gives the store and the monitor state one summing fragment, resolved relative to the includer', () => {
    const perf = expandLuaIncludes(base, 'apply-perf-deltas.lua');
    expect(perf).toContain('-- begin ../store/lib-sums.lua');
    expect(perf.match(/local function sum_fields\(/g)).toHaveLength(1);
    const store = expandLuaIncludes(storeBase, 'apply-batch.lua');
    expect(store.match(/local function sum_fields\(/g)).toHaveLength(1);
    expect(store).not.toMatch(/^--- @include/m);
  });
});
