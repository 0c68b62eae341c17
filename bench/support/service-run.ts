// One timed run of monitoring services as child processes: each its own consumer group from
// the beginning, timed from its first commit to the commit of everything with no evaluation
// left in flight (catch-up; commits as group-lag.ts reads them), with what it cost: the process's CPU (process_cpu_seconds_total of its
// /metrics) and peak RSS (VmHWM), Redis's main-thread CPU and commands over the run, and the
// Redis round trips the service counted per batch (driftwatch_redis_calls_total).
import type { Admin } from 'kafkajs';
import { groupProgress } from './group-lag.js';
import type { BenchRedis } from './private-redis.js';
import { metricValue, redisCallsByScript, startServiceProcess, type ServiceProcess } from './service-process.js';

export interface ServiceSpec {
  name: 'performance' | 'drift';
  groupId: string;
  topics: string[];
  /** The script of its per-batch apply (driftwatch_redis_calls_total{script}). */
  applyScript: string;
}

export interface ServiceRun {
  name: string;
  events: number;
  ms: number;
  rate: number;
  cpuUsPerEvent: number;
  peakRssBytes: number;
  batches: number;
  /** Apply calls per batch (one model: per batch per model). */
  applyPerBatch: number;
  /** Every call the service counted (apply, evaluation, reference reads, ...) per batch. */
  callsPerBatch: number;
  /** The calls other than apply, by script. */
  otherCalls: string;
}

export interface PhaseRun {
  services: ServiceRun[];
  /** Redis main-thread CPU over the run per event handled (all services of the run). */
  redisCpuUsPerEvent: number;
  /** Script calls Redis served over the run per batch handled (private Redis: the services' alone). */
  redisScriptCallsPerBatch: number;
  /** The processes, still running when `keepRunning`. */
  processes: ServiceProcess[];
  /** The Redis URL the services used (to start them again on the same state). */
  redisUrl: string;
}

interface Sample {
  cpuSeconds: number;
  batches: number;
  calls: Map<string, number>;
  /** driftwatch_evaluations_in_flight: models whose evaluation runs or waits. */
  evaluationsInFlight: number;
}

async function sample(service: ServiceProcess): Promise<Sample> {
  const text = await service.metrics();
  return {
    cpuSeconds: metricValue(text, 'process_cpu_seconds_total'),
    batches: metricValue(text, 'driftwatch_batch_events_count'),
    calls: redisCallsByScript(text),
    evaluationsInFlight: metricValue(text, 'driftwatch_evaluations_in_flight'),
  };
}

export interface PhaseOptions {
  specs: ServiceSpec[];
  env: Record<string, string>;
  admin: Admin;
  redis: BenchRedis;
  /** Which keyspace of the bench Redis (BenchRedis.urlFor). */
  redisIndex: number;
  cpuProfileDir?: string;
  /** Leave the processes running (their caller stops them). */
  keepRunning?: boolean;
  timeoutMs?: number;
}

export async function runServicesToCatchUp(options: PhaseOptions): Promise<PhaseRun> {
  const { specs, admin, redis } = options;
  const url = await redis.urlFor(options.redisIndex);
  const processes = await Promise.all(
    specs.map((spec) =>
      startServiceProcess(spec.name, {
        env: { ...options.env, REDIS_URL: url },
        groupId: spec.groupId,
        ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
      }),
    ),
  );
  try {
    const state = specs.map(() => ({ startedAt: 0, committedAtStart: 0, start: undefined as Sample | undefined, finishedAt: 0, end: 0, last: undefined as Sample | undefined, rss: Number.NaN }));
    let redisCpuStart = Number.NaN;
    let redisScriptsStart = Number.NaN;
    const deadline = Date.now() + (options.timeoutMs ?? 900_000);
    while (state.some((s) => s.finishedAt === 0)) {
      await Promise.all(
        specs.map(async (spec, i) => {
          const s = state[i]!;
          if (s.finishedAt !== 0) return;
          const progress = await groupProgress(admin, spec.groupId, spec.topics);
          const now = performance.now();
          if (s.startedAt === 0 && progress.committed > 0) {
            s.startedAt = now;
            s.committedAtStart = progress.committed;
            s.start = await sample(processes[i]!);
            if (Number.isNaN(redisCpuStart)) {
              redisCpuStart = await redis.mainThreadCpuSeconds();
              redisScriptsStart = await redis.scriptCalls();
            }
          }
          if (progress.end > 0 && progress.committed >= progress.end) {
            // Evaluations run beside the batches (background-evaluations.ts): caught up once they are done too.
            const last = await sample(processes[i]!);
            if (last.evaluationsInFlight > 0) return;
            s.finishedAt = now;
            s.end = progress.end;
            s.last = last;
            s.rss = processes[i]!.peakRss();
          }
        }),
      );
      if (Date.now() > deadline) throw new Error(`services ${specs.map((s) => s.name).join(', ')} did not catch up in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const redisCpu = (await redis.mainThreadCpuSeconds()) - redisCpuStart;
    const redisScripts = (await redis.scriptCalls()) - redisScriptsStart;
    const services = specs.map((spec, i): ServiceRun => {
      const s = state[i]!;
      const start = s.start ?? { cpuSeconds: 0, batches: 0, calls: new Map<string, number>(), evaluationsInFlight: 0 };
      const last = s.last!;
      const events = s.end - s.committedAtStart;
      const ms = s.finishedAt - s.startedAt;
      const batches = last.batches - start.batches;
      const delta = new Map([...last.calls].map(([script, n]) => [script, n - (start.calls.get(script) ?? 0)]));
      const all = [...delta.values()].reduce((a, b) => a + b, 0);
      const other = [...delta].filter(([script, n]) => script !== spec.applyScript && n > 0);
      return {
        name: spec.name,
        events,
        ms,
        rate: (events * 1000) / ms,
        cpuUsPerEvent: ((last.cpuSeconds - start.cpuSeconds) * 1e6) / events,
        peakRssBytes: s.rss,
        batches,
        applyPerBatch: (delta.get(spec.applyScript) ?? 0) / batches,
        callsPerBatch: all / batches,
        otherCalls: other.map(([script, n]) => `${script} ${(n / batches).toFixed(2)}`).join(', ') || '-',
      };
    });
    const events = services.reduce((sum, s) => sum + s.events, 0);
    const batches = services.reduce((sum, s) => sum + s.batches, 0);
    if (!options.keepRunning) await Promise.all(processes.map((p) => p.stop()));
    return { services, redisCpuUsPerEvent: (redisCpu * 1e6) / events, redisScriptCallsPerBatch: redisScripts / batches, processes, redisUrl: url };
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    throw error;
  }
}
