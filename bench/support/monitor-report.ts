// The monitor benchmark's tables: rates against the bracketing baselines, and the costs.
import { formatRate } from '../lib.js';
import type { ConsumeResult } from './consume-baseline.js';
import type { ServiceRun } from './service-run.js';

/** Bracketing runs that differ by more than this are flagged: the machine's load moved. */
export const BRACKET_TOLERANCE = 0.25;

export interface Bracket {
  before: ConsumeResult;
  after: ConsumeResult;
}

export const mean = (b: Bracket): number => (b.before.rate + b.after.rate) / 2;
export const spread = (b: Bracket): number => Math.abs(b.before.rate - b.after.rate) / Math.min(b.before.rate, b.after.rate);

export function baselineRow(step: string, b: Bracket, reference: number): Record<string, string | number> {
  const flagged = spread(b) > BRACKET_TOLERANCE;
  return {
    step,
    events: b.before.events,
    'events/s': `${formatRate(b.before.rate)} / ${formatRate(b.after.rate)} → ${formatRate(mean(b))}${flagged ? ' ⚠' : ''}`,
    'vs raw+decode': (mean(b) / reference).toFixed(2),
    'CPU µs/event': `${b.before.cpuUsPerEvent.toFixed(1)} / ${b.after.cpuUsPerEvent.toFixed(1)}`,
    'Redis µs/event': '-',
    'peak RSS': '-',
    'Redis calls/batch': '-',
  };
}

export function serviceRow(step: string, run: ServiceRun, reference: number, redisCpuUsPerEvent: string): Record<string, string | number> {
  return {
    step,
    events: run.events,
    'events/s': formatRate(run.rate),
    'vs raw+decode': (run.rate / reference).toFixed(2),
    'CPU µs/event': run.cpuUsPerEvent.toFixed(1),
    'Redis µs/event': redisCpuUsPerEvent,
    'peak RSS': Number.isNaN(run.peakRssBytes) ? 'n/a' : `${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    'Redis calls/batch': `${run.applyPerBatch.toFixed(2)} apply, ${run.callsPerBatch.toFixed(2)} all`,
  };
}
