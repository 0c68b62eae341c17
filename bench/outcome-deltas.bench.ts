// The performance service's outcome rendering, warm, one core: joined outcomes summed into a
// batch's deltas as PerformancePipeline.applyNew does (the outcome's perf counters, its cov
// `l`, then toDeltas() once per batch of BATCH), by the service's field slots and by the
// name-keyed objects they replaced (test/support/reference-outcome-deltas.ts), in the same
// run, rounds alternating. Time per outcome (median of the rounds), and bytes allocated per
// outcome: on the heap as its sampling profiler counts them, and in typed arrays' backing
// stores (the growth of process.memoryUsage().arrayBuffers over rounds no collection interrupted).
//
// Shape: OUTCOMES outcomes of 2 classes with probabilities, in event-time order over BUCKETS
// buckets (1 in 20 late, into an earlier bucket), one version; then the same for a regressor.
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fixedSlot } from '../shared/join/field-slots.js';
import { OutcomeCounters } from '../shared/join/outcome-counters.js';
import type { BucketDeltas } from '../shared/monitor-state/types.js';
import { seededRandom } from '../shared/stats/window/random.js';
import { increment, ReferenceDeltaAccumulator, ReferenceOutcomeCounters } from '../test/support/reference-outcome-deltas.js';
import { printTable, type BenchModule } from './lib.js';

const OUTCOMES = Number(process.env.BENCH_OUTCOMES ?? 200_000);
const BUCKETS = 50;
const BATCH = 500;
const ROUNDS = Number(process.env.BENCH_OUTCOME_ROUNDS ?? 7);
const T0 = 1_700_000_000_000;
const BUCKET_MS = 60_000;
const PERF = 'perf:1';
const COV = 'cov:1';

export interface Outcome {
  bucketStart: number;
  trueClass: string;
  predictedClass: string;
  probabilities: Record<string, number> | null;
  trueValue: number;
  predictedValue: number;
}

export function outcomes(kind: 'classification' | 'regression', count = OUTCOMES): Outcome[] {
  const random = seededRandom(11);
  return Array.from({ length: count }, (_, i) => {
    const inOrder = Math.floor((i * BUCKETS) / count);
    const bucket = random() < 0.05 ? Math.floor(random() * (inOrder + 1)) : inOrder;
    const yes = random();
    const predictedClass = yes >= 0.5 ? 'yes' : 'no';
    return {
      bucketStart: T0 + bucket * BUCKET_MS,
      trueClass: random() < 0.8 ? predictedClass : yes >= 0.5 ? 'no' : 'yes',
      predictedClass,
      probabilities: kind === 'classification' ? { yes, no: 1 - yes } : null,
      trueValue: kind === 'regression' ? random() * 100 : 0,
      predictedValue: kind === 'regression' ? random() * 100 : 0,
    };
  });
}

/** One batch's deltas, by the service's field slots. */
export type Renderer = (batch: readonly Outcome[], regression: boolean) => BucketDeltas[];

const LABELLED = fixedSlot('l');

export function slotRenderer(): Renderer {
  const counters = new OutcomeCounters();
  return (batch, regression) => {
    const deltas = counters.accumulator();
    for (const o of batch) {
      if (regression) counters.regression(o.trueValue, o.predictedValue, deltas, PERF, o.bucketStart);
      else counters.classification(o.trueClass, o.predictedClass, o.probabilities, deltas.group(PERF, o.bucketStart));
      deltas.add(COV, o.bucketStart, LABELLED, 1);
    }
    return deltas.toDeltas();
  };
}

/** What a name-keyed renderer (the reference, or the code it replaced) is made of. */
export interface NameKeyed {
  outcomes: Pick<ReferenceOutcomeCounters, 'classification' | 'regression'>;
  accumulator: () => Pick<ReferenceDeltaAccumulator, 'counters' | 'add' | 'toDeltas'>;
}

export function nameKeyedRenderer(parts: NameKeyed = { outcomes: new ReferenceOutcomeCounters(), accumulator: () => new ReferenceDeltaAccumulator() }): Renderer {
  return (batch, regression) => {
    const deltas = parts.accumulator();
    for (const o of batch) {
      if (regression) {
        const terms = parts.outcomes.regression(o.trueValue, o.predictedValue);
        const into = deltas.counters(PERF, o.bucketStart);
        for (const [field, by] of terms) increment(into, field, by);
      } else parts.outcomes.classification(o.trueClass, o.predictedClass, o.probabilities, deltas.counters(PERF, o.bucketStart));
      deltas.add(COV, o.bucketStart, 'l', 1);
    }
    return deltas.toDeltas();
  };
}

function collector(): () => void {
  const g = globalThis as { gc?: () => void };
  if (g.gc) return g.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export interface Measured {
  nsPerOutcome: number;
  /** Sampled by the heap profiler, objects collected since included. */
  heapBytesPerOutcome: number;
  /** Typed arrays' backing stores (outside the heap), over rounds that no collection interrupted. */
  bufferBytesPerOutcome: number;
}

/** Bytes allocated on the heap by fn, as the sampling heap profiler counts them (collected objects included). */
async function sampledBytes(session: Session, fn: () => void): Promise<number> {
  await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  fn();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  let bytes = 0;
  const visit = (node: (typeof profile)['head']): void => {
    bytes += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return bytes;
}

/** Median time per outcome over rounds of every outcome (rounds alternating), and bytes per outcome. */
export async function measure(renderers: Record<string, Renderer>, all: readonly Outcome[], regression: boolean, rounds = ROUNDS): Promise<Record<string, Measured>> {
  const gc = collector();
  const batches: Outcome[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
  const names = Object.keys(renderers);
  let sink = 0;
  const renderAll = (render: Renderer, from = 0, to = batches.length): void => {
    for (let b = from; b < to; b += 1) sink += render(batches[b]!, regression).length;
  };
  for (const name of names) renderAll(renderers[name]!); // warm-up
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r += 1) {
    for (const name of names) {
      const start = performance.now();
      renderAll(renderers[name]!);
      times[name]!.push(((performance.now() - start) * 1e6) / all.length);
    }
  }
  const session = new Session();
  session.connect();
  const heap: Record<string, number> = {};
  try {
    for (const name of names) heap[name] = (await sampledBytes(session, () => renderAll(renderers[name]!))) / all.length;
  } finally {
    session.disconnect();
  }
  const buffers: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const collections: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) collections.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const perRound = 16;
    for (let r = 0; r < rounds; r += 1) {
      for (const name of names) {
        const from = (r * perRound) % Math.max(1, batches.length - perRound);
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        const before = process.memoryUsage().arrayBuffers;
        const start = performance.now();
        renderAll(renderers[name]!, from, from + perRound);
        const end = performance.now();
        const after = process.memoryUsage().arrayBuffers;
        await new Promise((resolve) => setImmediate(resolve));
        if (collections.some((c) => c.end >= start && c.start <= end)) continue;
        buffers[name]!.push((after - before) / batches.slice(from, from + perRound).reduce((n, b) => n + b.length, 0));
      }
    }
  } finally {
    observer.disconnect();
  }
  if (sink === 0) throw new Error('nothing rendered');
  return Object.fromEntries(
    names.map((n) => [n, { nsPerOutcome: median(times[n]!), heapBytesPerOutcome: heap[n]!, bufferBytesPerOutcome: median(buffers[n]!) }]),
  );
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function rows(kind: string, measured: Record<string, Measured>, baseline: string): Record<string, string | number>[] {
  const base = measured[baseline]!;
  return Object.entries(measured).map(([name, m]) => ({
    outcomes: kind,
    renderer: name,
    'ns/outcome': m.nsPerOutcome.toFixed(0),
    'heap bytes/outcome': m.heapBytesPerOutcome.toFixed(0),
    'buffer bytes/outcome': m.bufferBytesPerOutcome.toFixed(0),
    [`time vs ${baseline}`]: (m.nsPerOutcome / base.nsPerOutcome).toFixed(2),
  }));
}

const bench: BenchModule = {
  title: `Outcome deltas: ${OUTCOMES} joined outcomes over ${BUCKETS} buckets, batches of ${BATCH}, field slots vs name-keyed objects`,
  async run() {
    const table: Record<string, string | number>[] = [];
    for (const kind of ['classification', 'regression'] as const) {
      const measured = await measure({ 'name-keyed': nameKeyedRenderer(), 'field slots': slotRenderer() }, outcomes(kind), kind === 'regression');
      table.push(...rows(kind, measured, 'name-keyed'));
    }
    printTable('per outcome (medians)', table);
  },
};

export default bench;
