import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineLuaScript, readLuaScript } from '../../../shared/store/lua-scripts.js';
import type { RedisClient } from '../../../shared/store/redis-connection.js';

describe('readLuaScript', () => {
  it('finds a script relative to the calling module, wherever the tree is laid out', () => {
    // Same relative layout as shared/store/ vs dist/shared/store/ after copy-assets.
    const root = mkdtempSync(join(tmpdir(), 'dw-lua-'));
    mkdirSync(join(root, 'dist', 'shared', 'store'), { recursive: true });
    writeFileSync(join(root, 'dist', 'shared', 'store', 'x.lua'), 'return 42');
    const callerUrl = pathToFileURL(join(root, 'dist', 'shared', 'store', 'redis-store.js'));
    expect(readLuaScript(callerUrl, './x.lua')).toBe('return 42');
  });

  it('finds apply-batch.lua beside the store sources', () => {
    const source = readLuaScript(new URL('../../../shared/store/redis-store.ts', import.meta.url), './apply-batch.lua');
    expect(source).toContain("redis.call('HSET', offsets_key, source_field, batch_offset)");
  });
});

describe('defineLuaScript', () => {
  function fakeClient() {
    const defined: { name: string; definition: { lua: string; numberOfKeys?: number } }[] = [];
    const calls: unknown[][] = [];
    const client = {
      defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }) {
        defined.push({ name, definition });
        (client as Record<string, unknown>)[name] = (...args: unknown[]) => {
          calls.push(args);
          return Promise.resolve('ok');
        };
      },
    };
    return { client: client as unknown as RedisClient, defined, calls };
  }
  const here = new URL('../../../shared/store/redis-store.ts', import.meta.url);

  it('declares a fixed key count and refuses calls with another count', async () => {
    const { client, defined, calls } = fakeClient();
    const command = defineLuaScript(client, here, { name: 'fixed', file: './apply-batch.lua', numberOfKeys: 2 });
    expect(defined[0]?.definition.numberOfKeys).toBe(2);
    await command(['a', 'b'], ['1']);
    expect(calls[0]).toEqual([['a', 'b'], ['1']]);
    expect(() => command(['a'], [])).toThrow(RangeError);
  });

  it('passes the key count first when it varies per call', async () => {
    const { client, defined, calls } = fakeClient();
    const command = defineLuaScript(client, here, { name: 'dynamic', file: './apply-batch.lua', numberOfKeys: 'dynamic' });
    expect(defined[0]?.definition.numberOfKeys).toBeUndefined();
    await command(['a', 'b', 'c'], ['x']);
    expect(calls[0]).toEqual([3, ['a', 'b', 'c'], ['x']]);
  });
});
