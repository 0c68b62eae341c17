// The EvaluationLoop the pipeline unit tests drive: model 'm' in memory with one 10 s bucket of
// drift counters per step, the loop's MonitorState calls counted by name (as counted-state.ts
// counts them in the services' metrics) and what it publishes kept, so a test can compare runs.
import type { EventBus } from '../../../shared/bus/types.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import type { BucketDeltas, MonitorState, WindowSettings } from '../../../shared/monitor-state/types.js';
import { EvaluationLoop, type EvaluationLoopOptions } from '../../../shared/pipeline/evaluation-loop.js';
import { windowSettings } from '../../../shared/pipeline/model-settings.js';
import { topicNames } from '../../../shared/topics.js';

const BUCKET_MS = 10_000;

/** Model 'm' with 10 s buckets and these horizons ('5m' or { window, every }). */
export function windowsOf(horizons: unknown[]): WindowSettings {
  const config = parseMonitoringConfig({ models: { m: { horizons, bucketMs: '10s' } } });
  return windowSettings(resolveModelConfig(config, 'm'), 1);
}

function counting(state: MonitorState): { state: MonitorState; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(state, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { state: proxy, calls };
}

export interface EvaluationLoopSetup {
  windows: WindowSettings;
  /** Start of the first bucket. */
  start: number;
  buckets: number;
  /** The counters of bucket `index`, which starts at `bucketStart`; applied at offset `index`. */
  deltasAt: (index: number, bucketStart: number) => BucketDeltas[];
  options?: Pick<EvaluationLoopOptions, 'closing' | 'endsPerRoundTrip'>;
}

export interface EvaluationLoopFixture {
  /** The state behind the loop: what the test itself reads or writes there is not counted. */
  memory: MemoryMonitorState;
  loop: EvaluationLoop;
  /** The loop's MonitorState calls by name. */
  calls: Map<string, number>;
  /** The value of every message the loop published, in order. */
  published: string[];
}

/** A drift-scope loop over `setup.buckets` buckets already applied, publishing to the 't.' topics. */
export async function evaluationLoopOver(setup: EvaluationLoopSetup): Promise<EvaluationLoopFixture> {
  const memory = new MemoryMonitorState();
  const { state, calls } = counting(memory);
  for (let i = 0; i < setup.buckets; i += 1) {
    const bucketStart = setup.start + i * BUCKET_MS;
    await memory.applyDriftBatch({
      model: 'm',
      source: { group: 'g', topic: 't', partition: 0, offset: i },
      windows: setup.windows,
      deltas: setup.deltasAt(i, bucketStart),
      maxEventTime: bucketStart,
    });
  }
  const published: string[] = [];
  const bus = { publish: async (_topic: string, messages: { value: Buffer }[]) => void published.push(...messages.map((m) => m.value.toString())) } as unknown as EventBus;
  const loop = new EvaluationLoop({ state, bus, topics: topicNames('t.'), scope: 'drift', ...setup.options });
  return { memory, loop, calls, published };
}
