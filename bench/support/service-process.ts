// Runs a monitoring service (services/<name>/main.ts) as its own Node process, as in
// production: it gets its own event loop and core, and the benchmark process measuring it
// does not share its CPU. Its Prometheus /metrics is how the benchmark sees inside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  /** The service process's pid (node itself: tsx is loaded with --import). */
  readonly pid: number;
  /** Peak resident set of the process so far (VmHWM), in bytes; NaN when /proc is not there. */
  peakRss(): number;
  /** The service's /metrics text. */
  metrics(): Promise<string>;
  /** SIGTERM (graceful: the in-flight batch commits), then waits for the exit. */
  stop(): Promise<void>;
}

export interface ServiceProcessOptions {
  env: Record<string, string>;
  groupId: string;
  /** Writes a V8 CPU profile (.cpuprofile) into this folder when the process exits. */
  cpuProfileDir?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startServiceProcess(name: 'performance' | 'drift', options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const args = ['--import', 'tsx'];
  if (options.cpuProfileDir !== undefined) args.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir);
  args.push(`services/${name}/main.ts`);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env, DW_HTTP_PORT: String(port), DW_GROUP_ID: options.groupId },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  const url = `http://127.0.0.1:${port}/metrics`;
  const metrics = async (): Promise<string> => {
    const response = await fetch(url);
    return response.text();
  };
  // The ops server starts after the Kafka and Redis connections, before subscribing.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitedEarly) throw new Error(`${name} service exited during start`);
    try {
      await metrics();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} service did not serve /metrics within 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const pid = child.pid!;
  return {
    name,
    port,
    pid,
    peakRss: () => peakRss(pid),
    metrics,
    async stop() {
      if (!exitedEarly) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Sum of a metric's samples whose labels include every given label (text exposition format). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) present.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) sum += Number(match[3]);
  }
  return sum;
}

/** script label → calls, from driftwatch_redis_calls_total. */
export function redisCallsByScript(text: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^driftwatch_redis_calls_total\{([^}]*)\}\s+(\S+)$/gm)) {
    const script = /script="([^"]*)"/.exec(match[1]!)?.[1];
    if (script !== undefined) calls.set(script, (calls.get(script) ?? 0) + Number(match[2]));
  }
  return calls;
}
