import { describe, expect, it } from 'vitest';
import { expandLuaIncludes } from '../../../shared/monitor-state/lua-includes.js';

const base = new URL('../../../shared/monitor-state/', import.meta.url);

describe('expandLuaIncludes', () => {
  it('replaces every include line by its fragment, once each', () => {
    const source = expandLuaIncludes(base, 'apply-perf-batch.lua');
    expect(source).not.toMatch(/^--- @include/m);
    // Each fragment's functions are defined exactly once.
    expect(source.match(/local function refused_offset\(/g)).toHaveLength(1);
    expect(source.match(/local function flush\(/g)).toHaveLength(1);
    expect(source.match(/local function read_frame\(/g)).toHaveLength(1);
  });

  it('shares the offset fragment between both apply scripts instead of copies', () => {
    for (const file of ['apply-drift-batch.lua', 'apply-perf-batch.lua']) {
      const raw = expandLuaIncludes(base, file).split('-- begin lib-offsets.lua')[1] ?? '';
      expect(raw).toContain('local function record_offset(');
    }
  });
});
