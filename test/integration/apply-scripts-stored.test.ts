// The apply scripts (apply-perf-deltas.lua, apply-drift-batch.lua) store exactly what they
// stored before the leaner apply (test/support/lua-before/, the scripts of commit 32ad970):
// the same calls onto the same seeded hashes, under two model prefixes, must leave the same
// keys with the same fields in the same order holding the same strings. The calls go through
// every way a hash is read and summed now: a hash that does not exist yet, one read whole,
// one read field by field (few of its fields wanted, or a large one), a bucket given
// several groups in one call, windows given the same groups and windows given different
// ones, a window field coming to exactly 0, repeated sums, and awkward doubles.
import { Encoder } from '@msgpack/msgpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { expandLuaIncludes } from '../../shared/store/lua-scripts.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { scanKeys } from '../support/redis-keys.js';

const T0 = 1_700_000_000_000;
const E = T0;
const HORIZONS = [5_000, 60_000, 3_600_000];
const RETENTION_MS = 7_200_000;
const IDLE_MS = 86_400_000;

type Group = [string, number, Record<string, number>];

const AWKWARD = [
  0.1, 0.2, 0.30000000000000004, 1e-300, 2 ** 53, 2 ** 53 - 1, Math.log(2), -0, -Math.log(0.37), 1 / 3, 5e-324,
  123456789.12345679, 1e21, -(2 ** 31) - 1, -1e-300, 4294967296.5, -1e-17, 1e300, 1, 1, 2, 3, 7, Number.NaN, Number.POSITIVE_INFINITY,
];

function counters(step: number, shift: number, family: string): Record<string, number> {
  return Object.fromEntries(AWKWARD.map((_, i) => [`${family}|f${i}`, AWKWARD[(i + step + shift) % AWKWARD.length]!]));
}

function range(prefix: string, count: number, value: (i: number) => number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}|${i}`, value(i)]));
}

/** Hashes written straight into Redis before the first call. */
function seeds(family: string): [string, Record<string, string>][] {
  const strings = (fields: Record<string, number>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  return [
    // 60 fields, 5 of them wanted: read field by field.
    [`b:${family}:${E + 100_000}`, strings(range('x', 60, (i) => i))],
    // 300 fields (a listpack with the default hash-max-listpack-entries), 200 wanted: read whole.
    [`b:${family}:${E + 101_000}`, strings(range('w', 300, (i) => i * 0.1))],
    // 300 fields, 5 wanted: field by field.
    [`b:${family}:${E + 102_000}`, strings(range('x', 300, (i) => i / 7))],
    // Stored -0: -0 + 0 is 0, -0 + -0 is -0 (the last call sends a real -0).
    [`b:${family}:${E - 3_000}`, { 'neg|zero': '-0', 'neg|both': '-0', 'keep|me': '5' }],
    [`w:${family}:5000`, { 'neg|zero': '-0', 'neg|both': '-0', 'z|half': '0.5', 'keep|me': '1e-300', 'o|rder': '1' }],
    // ((1 + 1e16) - 1e16) + 1 is 1, any other order of the deltas is not.
    [`b:${family}:${E - 2_000}`, { 'o|rder': '1' }],
  ];
}

function calls(family: string): Group[][] {
  return [0, 1, 2].map((step) => [
    [family, E - 2_000, counters(step, 0, family)], // in every window
    [family, E - 30_000, counters(step, 3, family)], // in the 60 s and 1 h windows only
    [family, E - 2_000, counters(step, 5, family)], // the same bucket again in the same call
    [family, E - 2_000, { 'o|rder': 1e16 }],
    [family, E - 2_000, { 'o|rder': -1e16 }],
    [family, E - 2_000, { 'o|rder': 1 }],
    [family, E + 5_000 + step * 1_000, counters(step, 7, family)], // ahead of E, a new hash every call
    [family, E + 100_000, range('x', 5, (i) => i + step)],
    [family, E + 101_000, range('w', 200, (i) => (i % 3) + step / 4)],
    [family, E + 102_000, range('x', 5, (i) => i * 0.5 + step)],
    // z|half (seeded 0.5 in the 5 s window) comes to 0 there; z|pair is +x then -x in one call.
    [family, E - 3_000, { ...(step === 0 && { 'z|half': -0.5 }), ...(step === 2 && { 'neg|both': -0 }), 'z|pair': 0.75, 'neg|zero': 0 }],
    [family, E - 1_000, { 'z|pair': -0.75 }],
    [family, E - 4_000, {}],
    ['cov:1', E - 2_000, { l: 3 + step, n: 2 }],
    ['cov:1', E + 5_000 + step * 1_000, { l: 1, n: 1 }],
    ['cov:1', E - 30_000, { l: 1 }],
  ]);
}

// The client's encoder sends integers (and -0) as MessagePack integers; the last call goes
// all float64, so -0 arrives as -0.
const encoder = new Encoder();
const floats = new Encoder({ forceIntegerToFloat: true });
const pack = (groups: Group[], step = 0): Buffer =>
  Buffer.from((step === 2 ? floats : encoder).encode([[...new Set(groups.map((g) => g[0]))], groups]));

interface ScriptCase {
  script: string;
  family: string;
  keys(prefix: string): string[];
  args(prefix: string, step: number, packed: Buffer): (string | number | Buffer)[];
}

const perf: ScriptCase = {
  script: 'apply-perf-deltas',
  family: 'perf:1',
  keys: (p) => [`${p}offsets`, `${p}clock:perf`, `${p}families:perf`],
  args: (p, step, packed) => [p, 'perf|dw.labels|0', step, 'perf|dw.predictions|0', '1', step - 1, -1, 'pl', T0, RETENTION_MS, 1, '1', IDLE_MS, HORIZONS.length, ...HORIZONS, packed],
};

const drift: ScriptCase = {
  script: 'apply-drift-batch',
  family: 'feat:1',
  keys: (p) => [`${p}offsets`, `${p}clock:drift`, `${p}families:drift`],
  args: (p, step, packed) => [p, 'g|dw.predictions|0', step, -1, T0, RETENTION_MS, 1, '1', IDLE_MS, HORIZONS.length, ...HORIZONS, 0, packed],
};

const before = (script: string): string => expandLuaIncludes(new URL('../support/lua-before/', import.meta.url), `./${script}.lua`);
const now = (script: string): string => expandLuaIncludes(new URL('../../shared/monitor-state/', import.meta.url), `./${script}.lua`);

describe('apply scripts store what they stored before the leaner apply', () => {
  let admin: Redis;
  const prefixes: string[] = [];

  beforeAll(() => {
    admin = new Redis(redisUrl());
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await scanKeys(admin, `${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
    }
    await admin.quit();
  });

  const fresh = (name: string): string => {
    const prefix = `dw:{${uniqueName(name)}}:`;
    prefixes.push(prefix);
    return prefix;
  };

  /** Seeds, runs every call with `lua`, and returns the replies and the stored keys by relative name. */
  async function run(c: ScriptCase, lua: string, prefix: string) {
    await admin.hset(`${prefix}clock:${c === perf ? 'perf' : 'drift'}`, 'end', String(E));
    for (const [key, fields] of seeds(c.family)) await admin.hset(prefix + key, fields);
    const replies: unknown[] = [];
    for (const [step, groups] of calls(c.family).entries()) {
      const keys = c.keys(prefix);
      replies.push(await admin.eval(lua, keys.length, ...keys, ...c.args(prefix, step, pack(groups, step))));
    }
    const stored: Record<string, unknown> = {};
    for (const key of (await scanKeys(admin, `${prefix}*`)).sort()) {
      const type = await admin.type(key);
      const value = type === 'hash' ? ((await admin.call('HGETALL', key)) as string[]) : (await admin.smembers(key)).sort();
      // The clock's `since` is wall-clock time.
      const kept = key.includes(':clock:') ? (value as string[]).filter((_, i, all) => all[i - (i % 2)] !== 'since') : value;
      stored[key.slice(prefix.length)] = { type, value: kept, expires: (await admin.pttl(key)) > 0 };
    }
    return { replies, stored };
  }

  for (const c of [perf, drift]) {
    it(`${c.script}: same keys, fields, field order, strings and expiries`, async () => {
      const old = await run(c, before(c.script), fresh(`stored-before-${c.script}`));
      const current = await run(c, now(c.script), fresh(`stored-now-${c.script}`));
      expect(current.replies).toEqual(old.replies);
      expect(Object.keys(current.stored)).toEqual(Object.keys(old.stored));
      for (const [key, value] of Object.entries(old.stored)) expect(current.stored[key], key).toEqual(value);
      // The cases happened: buckets, the three windows, z|half dropped from the 5 s window,
      // z|pair (+x -x in one call) in no window, the seeded -0 plus 0 written as 0.
      const hash = (key: string): string[] => (current.stored[key] as { value: string[] }).value;
      const fields = (key: string): string[] => hash(key).filter((_, i) => i % 2 === 0);
      for (const h of HORIZONS) expect(fields(`w:${c.family}:${h}`).length, `window ${h}`).toBeGreaterThan(AWKWARD.length);
      expect(fields(`w:${c.family}:5000`)).not.toContain('z|half');
      expect(fields(`w:${c.family}:60000`)).toContain('z|half');
      for (const h of HORIZONS) expect(fields(`w:${c.family}:${h}`)).not.toContain('z|pair');
      const bucket = hash(`b:${c.family}:${E - 3_000}`);
      expect(bucket[bucket.indexOf('neg|zero') + 1]).toBe('0');
      const ordered = hash(`b:${c.family}:${E - 2_000}`);
      expect(ordered[ordered.indexOf('o|rder') + 1]).toBe('1');
      expect(bucket[bucket.indexOf('neg|both') + 1]).toBe('-0');
      expect(fields(`w:${c.family}:5000`)).not.toContain('neg|both');
      expect(fields(`b:${c.family}:${E + 101_000}`)).toHaveLength(300);
      // 7 buckets every call plus 3 new ones ahead of E; the empty group's bucket is never created.
      expect(Object.keys(current.stored).filter((k) => k.startsWith(`b:${c.family}:`))).toHaveLength(10);
      expect(current.stored).not.toHaveProperty(`b:${c.family}:${E - 4_000}`);
    });
  }

  it('a stored value that is not a number fails the call before any counter is written', async () => {
    const groups: Group[] = [
      ['perf:1', E + 5_000, { 'c|a': 1 }],
      ['perf:1', E - 30_000, { 'c|a': 1 }],
    ];
    const bucketsWritten = async (lua: string): Promise<number> => {
      const prefix = fresh('stored-not-a-number');
      await admin.hset(`${prefix}clock:perf`, 'end', String(E));
      await admin.hset(`${prefix}w:perf:1:60000`, 'c|a', 'abc');
      const keys = perf.keys(prefix);
      await expect(admin.eval(lua, keys.length, ...keys, ...perf.args(prefix, 0, pack(groups)))).rejects.toThrow(/w:perf:1:60000 c\|a holds a non-number/);
      return admin.exists(`${prefix}b:perf:1:${E + 5_000}`, `${prefix}b:perf:1:${E - 30_000}`);
    };
    // The script of before wrote the buckets it flushed before the failing window; the
    // current one reads every hash before it writes any.
    expect(await bucketsWritten(before(perf.script))).toBe(2);
    expect(await bucketsWritten(now(perf.script))).toBe(0);
  });
});
