// Redis CPU of one apply-perf-deltas.lua / apply-drift-batch.lua call of the default bench
// shape (50 buckets x 100 counters plus 50 coverage groups, 3 horizons, half the buckets
// already stored and inside the running windows, half new and ahead of them), the current
// scripts next to the ones before the leaner apply (test/support/lua-before/), measured in
// the same run on a redis-server of the bench's own: usec per call from INFO commandstats
// (the script's run time, its redis.call's included) and INFO cpu. Both scripts are given
// the same calls and must leave the same stored strings.
import { Encoder } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import { expandLuaIncludes } from '../shared/store/lua-scripts.js';
import { startOwnRedis } from '../test/support/own-redis.js';
import { printTable } from './lib.js';
import type { BenchModule } from './lib.js';

const BUCKET_MS = 10_000;
const HORIZONS = [300_000, 3_600_000, 86_400_000];
const RETENTION_MS = 90_000_000;
const IDLE_MS = 604_800_000;
const BUCKETS = 50;
const CALLS = Number(process.env.APPLY_LUA_CALLS ?? 100);
const ROUNDS = Number(process.env.APPLY_LUA_ROUNDS ?? 3);
const T0 = 1_700_000_000_000;
const PREFIX = 'dw:{bench}:';

type Group = [string, number, Record<string, number>];

function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Call `call`'s groups: per bucket 81 confusion counts and 19 score sums, then its coverage
 * counts. The first half of the buckets sit in every running window (E = T0) and are stored
 * after the first call; the second half are ahead of E and new in every call.
 */
function groups(call: number, family: string, random: () => number): Group[] {
  const starts: number[] = [];
  for (let b = 0; b < BUCKETS / 2; b += 1) starts.push(T0 - (BUCKETS / 2 - b) * BUCKET_MS);
  for (let b = 0; b < BUCKETS / 2; b += 1) starts.push(T0 + (call * BUCKETS + b) * BUCKET_MS);
  const out: Group[] = [];
  for (const start of starts) {
    const counters: Record<string, number> = {};
    for (let t = 0; t < 9; t += 1) for (let p = 0; p < 9; p += 1) counters[`c|${t}|${p}`] = 1 + Math.floor(random() * 5);
    for (let s = 0; s < 19; s += 1) counters[`~s|${s}`] = random() * 3 - 1;
    out.push([family, start, counters]);
  }
  for (const start of starts) out.push(['cov:1', start, { n: 1 + Math.floor(random() * 40), l: 1 + Math.floor(random() * 40) }]);
  return out;
}

const encoder = new Encoder();
function pack(call: Group[]): Buffer {
  return Buffer.from(encoder.encode([[...new Set(call.map((g) => g[0]))], call]));
}

interface Script {
  name: string;
  keys: string[];
  args(call: number, packed: Buffer): (string | number | Buffer)[];
}

const perf: Script = {
  name: 'apply-perf-deltas',
  keys: [`${PREFIX}offsets`, `${PREFIX}clock:perf`, `${PREFIX}families:perf`],
  args: (call, packed) => [PREFIX, 'perf|dw.labels|0', call, 'perf|dw.predictions|0', '1', call - 1, -1, 'pl', T0, RETENTION_MS, 1, '1', IDLE_MS, HORIZONS.length, ...HORIZONS, packed],
};

const drift: Script = {
  name: 'apply-drift-batch',
  keys: [`${PREFIX}offsets`, `${PREFIX}clock:drift`, `${PREFIX}families:drift`],
  args: (call, packed) => [PREFIX, 'g|dw.predictions|0', call, -1, T0, RETENTION_MS, 1, '1', IDLE_MS, HORIZONS.length, ...HORIZONS, 0, packed],
};

async function commandStats(client: Redis): Promise<{ calls: number; usec: number; cpuUsec: number }> {
  const stats = await client.info('commandstats');
  const match = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(stats);
  const cpu = await client.info('cpu');
  const seconds = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
  return { calls: Number(match?.[1] ?? 0), usec: Number(match?.[2] ?? 0), cpuUsec: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 };
}

/** Runs `calls` applies on an empty database; returns usec per call and every stored hash. */
async function phase(client: Redis, script: Script, lua: string, calls: number, dump: boolean) {
  await client.flushall();
  const sha = (await client.script('LOAD', lua)) as string;
  const family = script === perf ? 'perf:1' : 'feat:1';
  await client.hset(script.keys[1]!, 'end', String(T0));
  const random = makeRandom(11);
  const packed = Array.from({ length: calls + 1 }, (_, call) => pack(groups(call, family, random)));
  const apply = async (call: number): Promise<void> => {
    const reply = (await client.evalsha(sha, script.keys.length, ...script.keys, ...script.args(call, packed[call]!))) as unknown[];
    if (reply[0] !== 1) throw new Error(`${script.name} call ${call} refused: ${JSON.stringify(reply)}`);
  };
  await apply(0);
  const before = await commandStats(client);
  for (let call = 1; call <= calls; call += 1) await apply(call);
  const after = await commandStats(client);
  const stored = new Map<string, Record<string, string>>();
  if (dump) {
    for (const key of (await client.keys(`${PREFIX}*`)).sort()) {
      if ((await client.type(key)) === 'hash') stored.set(key, await client.hgetall(key));
      if ((await client.pttl(key)) === -1 && !key.endsWith(':offsets') && !key.includes(':clock:')) throw new Error(`${key} has no expiry`);
    }
  }
  return {
    usecPerCall: (after.usec - before.usec) / (after.calls - before.calls),
    cpuUsecPerCall: (after.cpuUsec - before.cpuUsec) / calls,
    stored,
  };
}

function sameStored(a: Map<string, Record<string, string>>, b: Map<string, Record<string, string>>): string | undefined {
  if (a.size !== b.size) return `${a.size} hashes before, ${b.size} now`;
  for (const [key, fields] of a) {
    const other = b.get(key);
    if (other === undefined) return `${key} missing`;
    const names = Object.keys(fields);
    if (names.length !== Object.keys(other).length) return `${key}: ${names.length} fields before, ${Object.keys(other).length} now`;
    // The clock's `since` is wall-clock time.
    for (const name of names) if (fields[name] !== other[name] && name !== 'since') return `${key} ${name}: ${fields[name]} before, ${other[name]} now`;
  }
  return undefined;
}

async function run(): Promise<void> {
  const own = await startOwnRedis();
  const client = new Redis({ port: own.port, host: '127.0.0.1' });
  const scriptsUrl = new URL('../shared/monitor-state/', import.meta.url);
  const beforeUrl = new URL('../test/support/lua-before/', import.meta.url);
  try {
    const rows: Record<string, string | number>[] = [];
    for (const script of [perf, drift]) {
      const before = expandLuaIncludes(beforeUrl, `./${script.name}.lua`);
      const now = expandLuaIncludes(scriptsUrl, `./${script.name}.lua`);
      // Same calls, same stored strings.
      const check = [await phase(client, script, before, 5, true), await phase(client, script, now, 5, true)];
      const difference = sameStored(check[0]!.stored, check[1]!.stored);
      if (difference !== undefined) throw new Error(`${script.name} stores other strings than before: ${difference}`);
      const usec = { before: [] as number[], now: [] as number[], cpuBefore: [] as number[], cpuNow: [] as number[] };
      for (let round = 0; round < ROUNDS; round += 1) {
        const b = await phase(client, script, before, CALLS, false);
        const n = await phase(client, script, now, CALLS, false);
        usec.before.push(b.usecPerCall);
        usec.cpuBefore.push(b.cpuUsecPerCall);
        usec.now.push(n.usecPerCall);
        usec.cpuNow.push(n.cpuUsecPerCall);
      }
      const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const counters = BUCKETS * 100 + BUCKETS * 2;
      rows.push({
        script: script.name,
        counters,
        'before usec/call': median(usec.before).toFixed(0),
        'now usec/call': median(usec.now).toFixed(0),
        'before cpu usec/call': median(usec.cpuBefore).toFixed(0),
        'now cpu usec/call': median(usec.cpuNow).toFixed(0),
        'now/before': (median(usec.now) / median(usec.before)).toFixed(2),
        'now usec/counter': (median(usec.now) / counters).toFixed(2),
      });
    }
    printTable(`apply scripts, ${BUCKETS} buckets x 100 counters + ${BUCKETS} coverage groups, 3 horizons, ${CALLS} calls x ${ROUNDS} rounds (medians)`, rows);
  } finally {
    client.disconnect();
    await own.stop();
  }
}

export default { title: 'Apply scripts: Redis CPU per call, before vs now', run } satisfies BenchModule;
