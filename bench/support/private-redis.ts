// The Redis a monitor benchmark measures. By default a private redis-server started for the
// run (no persistence), so the CPU time of its main thread (INFO cpu) is the services' alone:
// the shared development Redis also serves other processes. BENCH_MONITOR_REDIS=shared uses
// REDIS_URL instead (each service run in its own database) and says that its Redis CPU
// includes other clients.
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './service-process.js';

export interface BenchRedis {
  /** For service run `index`: a clean keyspace (private: flushed; shared: database index + 1). */
  urlFor(index: number): Promise<string>;
  /** CPU seconds of Redis's main thread so far (user + sys). */
  mainThreadCpuSeconds(): Promise<number>;
  /**
   * Script calls (EVAL/EVALSHA/FCALL and their _ro forms) so far, from INFO commandstats: the
   * services' round trips are script calls, and the commands a script runs inside count
   * under their own names, not here.
   */
  scriptCalls(): Promise<number>;
  readonly private: boolean;
  readonly describe: string;
  stop(): Promise<void>;
}

function infoField(info: string, field: string): number {
  const match = new RegExp(`^${field}:(\\S+)`, 'm').exec(info);
  return match ? Number(match[1]) : Number.NaN;
}

function withDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function probe(url: string): Promise<Redis> {
  // No reconnecting: a refused probe is thrown away and the caller tries a new one.
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return client;
}

export async function benchRedis(sharedUrl: string): Promise<BenchRedis> {
  const wanted = process.env.BENCH_MONITOR_REDIS ?? 'private';
  let child: ChildProcess | undefined;
  let url = sharedUrl;
  if (wanted !== 'shared') {
    const port = await freePort();
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const failed = new Promise<never>((_, reject) => child!.once('error', reject));
    url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const c = await Promise.race([probe(url), failed]);
        await c.quit();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || Date.now() > deadline) {
          child.kill('SIGTERM');
          throw new Error(`could not start a private redis-server (${(error as Error).message}); BENCH_MONITOR_REDIS=shared uses REDIS_URL`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
  const admin = await probe(url);
  const isPrivate = child !== undefined;
  return {
    private: isPrivate,
    describe: isPrivate ? `private redis-server (${url}, pid ${child!.pid})` : `shared Redis ${sharedUrl} (its CPU includes other clients)`,
    async urlFor(index) {
      if (isPrivate) {
        await admin.flushall();
        return url;
      }
      return withDb(url, index + 1);
    },
    async mainThreadCpuSeconds() {
      const info = await admin.info('cpu');
      const user = infoField(info, 'used_cpu_user_main_thread');
      const sys = infoField(info, 'used_cpu_sys_main_thread');
      // Redis before 6.2 reports the process only.
      return Number.isNaN(user) ? infoField(info, 'used_cpu_user') + infoField(info, 'used_cpu_sys') : user + sys;
    },
    async scriptCalls() {
      const info = await admin.info('commandstats');
      let calls = 0;
      for (const match of info.matchAll(/^cmdstat_(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro):calls=(\d+)/gm)) calls += Number(match[2]);
      return calls;
    },
    async stop() {
      await admin.quit().catch(() => admin.disconnect());
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
