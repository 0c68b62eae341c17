// Counts every MonitorState call (each one Redis round trip when distributed) in
// driftwatch_redis_calls_total{script}, so "round trips per batch" and "per evaluation"
// can be read off /metrics rather than trusted.
import type { Counter } from 'prom-client';
import type { MonitorState } from '../monitor-state/types.js';

/** Metric label per call: the Lua script's name where there is one, else the operation. */
const SCRIPT_OF: { [K in Exclude<keyof MonitorState, 'close'>]: string } = {
  applyDriftBatch: 'apply-drift-batch',
  applyPerfDeltas: 'apply-perf-deltas',
  advance: 'advance',
  commitEvaluation: 'commit-evaluation',
  // The same scripts with several ends per call (issue 8): one round trip each, counted alike.
  advanceEnds: 'advance',
  commitEvaluations: 'commit-evaluation',
  readOutbox: 'read-outbox',
  ackOutbox: 'ack-outbox',
  getReference: 'get-reference',
  setReference: 'set-reference',
  readReferenceSample: 'read-reference-sample',
  readBuckets: 'read-buckets',
};

export function countedState(state: MonitorState, calls: Counter<'script'>): MonitorState {
  return new Proxy(state, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const script = (SCRIPT_OF as Record<PropertyKey, string | undefined>)[property];
      if (script === undefined) return value.bind(target);
      return (...args: unknown[]) => {
        calls.inc({ script });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
