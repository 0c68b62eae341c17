import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { modelKey } from '../../shared/store/types.js';
import type { BucketDeltas } from '../../shared/monitor-state/types.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { scanKeys } from '../support/redis-keys.js';
import { ENDS_SCENARIO, describeMonitorStateContract, endsScenarioRounds } from './monitor-state.contract.js';
import { MemoryMonitorState } from '../../shared/monitor-state/memory-monitor-state.js';

async function dropModel(admin: Redis, model: string): Promise<void> {
  const keys = await scanKeys(admin, `dw:{${model}}:*`);
  if (keys.length > 0) await admin.del(...keys);
}

describeMonitorStateContract('RedisMonitorState', async () => {
  const admin = new Redis(redisUrl());
  return {
    open: () => RedisMonitorState.connect(redisUrl()),
    dropModel: (model) => dropModel(admin, model),
    close: async () => {
      await admin.quit();
    },
  };
});

/** evalsha + eval calls so far, from INFO commandstats. */
async function scriptCalls(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}

describe('RedisMonitorState on a real Redis', () => {
  let admin: Redis;
  let state: RedisMonitorState;
  const model = uniqueName('ms-redis-only');

  beforeAll(async () => {
    admin = new Redis(redisUrl());
    state = await RedisMonitorState.connect(redisUrl());
  });
  afterAll(async () => {
    await dropModel(admin, model);
    await state.close();
    await admin.quit();
  });

  it('sends a batch\'s perf deltas (1,000 buckets of counters) as one script call', async () => {
    const t0 = 1_700_000_000_000;
    const windows = { bucketMs: 1_000, horizonsMs: [5_000, 60_000], retentionMs: 600_000 };
    // What a large labels batch of a 2-class model can produce: outcome counters and
    // coverage in 500 buckets each.
    const deltas: BucketDeltas[] = Array.from({ length: 500 }, (_, i): BucketDeltas[] => [
      { family: 'perf:1', bucketStart: t0 + i * 1_000, counters: { 'c|a|a': 1, 'c|a|b': 1, '~c|s|a': 0.25 } },
      { family: 'cov:1', bucketStart: t0 + i * 1_000, counters: { l: 2 } },
    ]).flat();
    const batch = (offset: number, expected: { own: number; paired: number } | null, batchDeltas: BucketDeltas[]) => ({
      model,
      source: { group: 'perf', topic: 'dw.labels', partition: 0, offset },
      pairedField: 'perf|dw.predictions|0',
      kind: 'pl' as const,
      expected,
      windows,
      deltas: batchDeltas,
      maxEventTime: t0 + 500_000,
    });
    // Warm the script cache with a probe so the measured call is one EVALSHA, not EVALSHA + EVAL.
    await state.applyPerfDeltas(batch(999, null, []));
    const before = await scriptCalls(admin);
    const reply = await state.applyPerfDeltas(batch(999, { own: -1, paired: -1 }, deltas));
    const after = await scriptCalls(admin);
    expect(reply).toMatchObject({ applied: true, recordedOffset: 999 });
    // Other engineers share this Redis; their scripts may run too, but never fewer than ours.
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThan(4);
    expect(await state.readBuckets(model, 'cov:1', t0, t0 + 500_000, 1_000)).toEqual({ l: 1_000 });
    expect(await state.readBuckets(model, 'perf:1', t0, t0 + 500_000, 1_000)).toEqual({ 'c|a|a': 500, 'c|a|b': 500, '~c|s|a': 125 });
  });

  it('stores the sums the per-value string arguments gave, bit for bit, for awkward doubles (packed deltas)', async () => {
    // The deltas travel packed with MessagePack (integers, float64); they used to go as
    // String(n), read with tonumber(). The reference is that old path run in Redis: each
    // field's deltas as String(n), tonumber'd and added in order, written with %.17g.
    const m = uniqueName('ms-redis-packed');
    const t0 = 1_700_000_000_000;
    const windows = { bucketMs: 1_000, horizonsMs: [5_000], retentionMs: 600_000 };
    const awkward = [
      0.1, 0.2, 0.30000000000000004, 1e-300, 2 ** 53, 2 ** 53 - 1, Math.log(2), -0, -Math.log(0.37), 1 / 3, 5e-324,
      123456789.12345679, 1e21, -(2 ** 31) - 1, -1e-300, 4294967296.5, -1e-17, 1e300, -Math.log1p(-0.999999),
    ];
    const fieldCount = awkward.length;
    const counters = (step: number, shift: number): Record<string, number> =>
      Object.fromEntries(Array.from({ length: fieldCount }, (_, i) => [`f${i}|x`, awkward[(i + step + shift) % fieldCount]!]));
    const inWindow = t0 + 1_000;
    const ahead = t0 + 10_000;
    const twice = t0 + 20_000;
    // Per family: a bucket inside the running window, one ahead of it alone in its call (the
    // drift script's direct path), one given twice in the same call (the accumulator's lists).
    const deltas = (family: string, step: number): BucketDeltas[] => [
      { family, bucketStart: inWindow, counters: counters(step, 0) },
      { family, bucketStart: ahead, counters: counters(step, 5) },
      { family, bucketStart: twice, counters: counters(step, 7) },
      { family, bucketStart: twice, counters: counters(step, 11) },
    ];
    const steps = 4;
    const sent: Record<string, number[]> = {};
    const record = (key: string, groups: BucketDeltas[], family: string): void => {
      for (const group of groups) {
        for (const [field, by] of Object.entries(group.counters)) {
          (sent[`${key}|${family}|${group.bucketStart}|${field}`] ??= []).push(by);
          if (group.bucketStart === inWindow) (sent[`w|${family}|${field}`] ??= []).push(by);
        }
      }
    };
    try {
      await state.advance({ model: m, scope: 'drift', windows, to: t0 + 3_000 });
      await state.advance({ model: m, scope: 'perf', windows, to: t0 + 3_000 });
      for (let step = 0; step < steps; step += 1) {
        const drift = deltas('perf:2', step);
        const driftReply = await state.applyDriftBatch({
          model: m,
          source: { group: 'g', topic: 'dw.predictions', partition: 0, offset: step },
          windows,
          deltas: drift,
          maxEventTime: t0,
        });
        expect(driftReply.applied).toBe(true);
        record('b', drift, 'perf:2');
        const perf = deltas('perf:1', step);
        const perfReply = await state.applyPerfDeltas({
          model: m,
          source: { group: 'perf', topic: 'dw.labels', partition: 0, offset: step },
          pairedField: 'perf|dw.predictions|0',
          kind: 'pl',
          expected: { own: step - 1, paired: -1 },
          windows,
          deltas: perf,
          maxEventTime: t0,
        });
        expect(perfReply.applied).toBe(true);
        record('b', perf, 'perf:1');
      }
      const oldPath = "local s = 0 for i = 1, #ARGV do s = s + tonumber(ARGV[i]) end return string.format('%.17g', s)";
      let compared = 0;
      for (const [id, values] of Object.entries(sent)) {
        const [kind, family, ...rest] = id.split('|');
        const field = rest.slice(kind === 'b' ? 1 : 0).join('|');
        const key = kind === 'b' ? modelKey(m, `b:${family}:${rest[0]}`) : modelKey(m, `w:${family}:5000`);
        const expected = (await admin.eval(oldPath, 0, ...values.map(String))) as string;
        expect(await admin.hget(key, field), `${key} ${field} after ${values.join(', ')}`).toBe(expected);
        compared += 1;
      }
      // 2 families x (3 buckets + 1 window) x every field.
      expect(compared).toBe(2 * 4 * fieldCount);
    } finally {
      await dropModel(admin, m);
    }
  });

  it('apply-perf-deltas refreshes the idle expiry of the perf scope\'s long-lived keys, a refused call none', async () => {
    const m = uniqueName('ms-redis-deltas-idle');
    const t0 = 1_700_000_000_000;
    const idleMs = 3_600_000;
    const windows = { bucketMs: 1_000, horizonsMs: [5_000], retentionMs: 600_000, idleMs };
    const short = 100_000;
    const name = (k: string): string => modelKey(m, k);
    const batch = (offset: number, expected: { own: number; paired: number } | null) => ({
      model: m,
      source: { group: 'perf', topic: 'dw.labels', partition: 0, offset },
      pairedField: 'perf|dw.predictions|0',
      kind: 'pl' as const,
      expected,
      windows,
      deltas: [{ family: 'perf:1', bucketStart: t0 + 1_000, counters: { 'c|a|a': 1 } }],
      maxEventTime: t0 + 1_000,
    });
    const live = ['offsets', 'clock:perf', 'families:perf', 'alerts:perf', 'outbox:events:perf', 'w:perf:1:5000'];
    try {
      await state.advance({ model: m, scope: 'perf', windows, to: t0 + 2_000 });
      const outbox = [{ topic: 'metrics', key: 'k', value: Buffer.from('v'), headers: {} }];
      await state.commitEvaluation({ model: m, scope: 'perf', end: t0 + 2_000, alertStates: { a: '{}' }, outbox, idleMs });
      expect(await state.applyPerfDeltas(batch(1, { own: -1, paired: -1 }))).toMatchObject({ applied: true });
      for (const k of live) expect(await admin.pexpire(name(k), short), k).toBe(1);

      expect(await state.applyPerfDeltas(batch(2, { own: 0, paired: -1 }))).toMatchObject({ applied: false, recordedOffset: 1 });
      for (const k of live) expect(await admin.pttl(name(k)), k).toBeLessThanOrEqual(short);

      expect(await state.applyPerfDeltas(batch(2, { own: 1, paired: -1 }))).toMatchObject({ applied: true, recordedOffset: 2 });
      for (const k of live) expect(await admin.pttl(name(k)), k).toBeGreaterThan(idleMs - 60_000);
      const bucketTtl = await admin.pttl(name('b:perf:1:' + String(t0 + 1_000)));
      expect(bucketTtl).toBeGreaterThan(windows.retentionMs - 60_000);
      expect(bucketTtl).toBeLessThanOrEqual(windows.retentionMs);
    } finally {
      await dropModel(admin, m);
    }
  });

  it('reads an evaluation (due horizons, closing bucket, alert and detector states) in one round trip', async () => {
    const m = uniqueName('ms-redis-one-read');
    const t0 = 1_700_000_000_000;
    const windows = { bucketMs: 1_000, horizonsMs: [5_000, 60_000, 600_000], retentionMs: 700_000 };
    try {
      await state.applyDriftBatch({
        model: m,
        source: { group: 'g', topic: 'dw.predictions', partition: 0, offset: 1 },
        windows,
        deltas: [1, 2, 3].map((v) => ({ family: `perf:${v}`, bucketStart: t0 + v * 1_000, counters: { 'c|a|a': v } })),
        maxEventTime: t0 + 3_000,
      });
      await state.advance({ model: m, scope: 'drift', windows, to: t0 + 2_000 });
      // Every command this client sends is one round trip (no pipelining here).
      const sent = vi.spyOn(state.client, 'sendCommand');
      const input = await state.advance({ model: m, scope: 'drift', windows, to: t0 + 4_000, read: [5_000], closing: ['perf:'] });
      expect(sent.mock.calls.map(([command]) => command.name)).toEqual(['evalsha']);
      sent.mockRestore();
      expect(input.windows).toEqual({ 'perf:1': { 5000: { 'c|a|a': 1 } }, 'perf:2': { 5000: { 'c|a|a': 2 } }, 'perf:3': { 5000: { 'c|a|a': 3 } } });
      expect(input.closing).toEqual({ 'perf:1': {}, 'perf:2': {}, 'perf:3': { 'c|a|a': 3 } });
    } finally {
      await dropModel(admin, m);
    }
  });

  it('advances several ends in one round trip to exactly the sums the in-memory twin reaches one end at a time (issue 8)', async () => {
    // The twin is the independent reference: it adds each delta as it comes, Redis holds the
    // call's sums in Lua between ends and writes them once; the doubles must still agree bit for bit.
    const m = uniqueName('ms-redis-ends');
    const memory = new MemoryMonitorState();
    const { windows, closing } = ENDS_SCENARIO;
    const source = (offset: number) => ({ group: 'g', topic: 'dw.predictions', partition: 0, offset });
    let calls = 0;
    let ends = 0;
    let lastEnd = 0;
    let firstBucket = Number.POSITIVE_INFINITY;
    try {
      for (const round of endsScenarioRounds(7_654_321)) {
        firstBucket = Math.min(firstBucket, ...round.deltas.map((d) => d.bucketStart));
        for (const s of [state, memory] as const) await s.applyDriftBatch({ model: m, source: source(round.offset), windows, deltas: round.deltas, maxEventTime: round.newest });
        if (round.ends.length === 0) continue;
        const expected = [];
        for (const { to, read } of round.ends) expected.push(await memory.advance({ model: m, scope: 'drift', windows, to, read, closing }));
        const sent = vi.spyOn(state.client, 'sendCommand');
        const actual = await state.advanceEnds({ model: m, scope: 'drift', windows, ends: round.ends, closing });
        calls += sent.mock.calls.length;
        sent.mockRestore();
        expect(actual).toEqual(expected);
        ends += round.ends.length;
        lastEnd = round.ends.at(-1)!.to;
      }
      expect(ends).toBeGreaterThan(2 * calls);
      // Every bucket as the twin holds it (the apply adds a bucket no window holds directly).
      for (const family of ENDS_SCENARIO.families) {
        for (let b = firstBucket; b <= lastEnd + 10 * windows.bucketMs; b += windows.bucketMs) {
          expect(await state.readBuckets(m, family, b, b + windows.bucketMs, windows.bucketMs), `${family} ${b}`).toEqual(await memory.readBuckets(m, family, b, b + windows.bucketMs, windows.bucketMs));
        }
      }
      // What stayed stored: every horizon read at the last end, with nothing moved.
      const stored = await memory.advance({ model: m, scope: 'drift', windows, to: lastEnd });
      expect(stored.advanced).toBe(false);
      expect(await state.advance({ model: m, scope: 'drift', windows, to: lastEnd })).toEqual(stored);
    } finally {
      await memory.close();
      await dropModel(admin, m);
    }
  });
});
