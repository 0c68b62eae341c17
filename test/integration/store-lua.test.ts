// apply-batch.lua on a real Redis Cluster (three masters started by this file with the local
// redis-server): the same contract suite, now with every call routed by the model's hash
// tag. Redis Cluster refuses a script whose keys span slots (CROSSSLOT), so a key built
// outside the tag would fail here even though a single node accepts it.
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Cluster } from 'ioredis';
import { connectRedis } from '../../shared/store/redis-connection.js';
import { RedisStore } from '../../shared/store/redis-store.js';
import { describeStoreContract } from '../contract/store.contract.js';
import { uniqueName } from '../setup/env.js';

const run = promisify(execFile);
const MASTERS = 3;

interface LocalCluster {
  ports: number[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(what: string, probe: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-redis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < MASTERS; i += 1) {
      const port = await freePort();
      ports.push(port);
      // Args are fixed strings and a port number: no shell involved.
      children.push(
        spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
            '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) {
      await until(`redis-server on ${port}`, async () => {
        const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      });
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) {
      await until(`cluster state ok on ${port}`, async () => {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
        return stdout.includes('cluster_state:ok');
      });
    }
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function scanCluster(cluster: Cluster, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

let cluster: LocalCluster;
let admin: Cluster;
const seeds = (): string[] => cluster.ports.map((port) => `127.0.0.1:${port}`);

beforeAll(async () => {
  cluster = await startCluster();
  admin = (await connectRedis({ clusterNodes: seeds() })) as Cluster;
});
afterAll(async () => {
  await admin?.quit();
  await cluster?.stop();
});

describeStoreContract('RedisStore on a 3-master Redis Cluster', async () => ({
  open: () => RedisStore.connect({ clusterNodes: seeds() }),
  elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  keysContaining: (model) => scanCluster(admin, `*${model}*`),
}));

describe('apply-batch.lua on Redis Cluster', () => {
  it('spreads models over the masters and keeps each model on one of them', async () => {
    const store = new RedisStore(admin);
    const models = Array.from({ length: 12 }, () => uniqueName('cluster-spread'));
    for (const model of models) {
      await store.applyBatch({
        model,
        source: { group: 'g', topic: 't', partition: 0, offset: 1 },
        deltas: [
          { key: 'a', field: 'n', by: 1 },
          { key: 'b', field: 'n', by: 2 },
        ],
      });
    }
    const mastersHolding = await Promise.all(
      models.map(async (model) => {
        const holders = [];
        for (const node of admin.nodes('master')) {
          const [, keys] = await node.scan('0', 'MATCH', `*${model}*`, 'COUNT', 1000);
          if (keys.length > 0) holders.push(node.options.port);
        }
        return holders;
      }),
    );
    for (const holders of mastersHolding) expect(holders).toHaveLength(1);
    // 12 hash tags on 3 masters: landing all on one would mean the tag is not what routes.
    expect(new Set(mastersHolding.flat()).size).toBeGreaterThan(1);
  });
});
