// A batch of the performance service's outcomes summed into deltas the way
// PerformancePipeline.applyNew does (counted predictions, then each joined outcome's perf
// counters and its cov count, nothing for an outcome that throws), once by the service's
// field slots and once by the name-keyed reference it replaced.
import { fixedSlot } from '../../shared/join/field-slots.js';
import type { OutcomeCounters } from '../../shared/join/outcome-counters.js';
import { covFamily, perfFamily } from '../../shared/monitor/performance.js';
import type { BucketDeltas } from '../../shared/monitor-state/types.js';
import type { RandomSource } from '../../shared/stats/window/random.js';
import { increment, ReferenceDeltaAccumulator, type ReferenceOutcomeCounters } from './reference-outcome-deltas.js';

export interface CountedPrediction {
  version: string;
  bucketStart: number;
}

export type JoinedOutcome =
  | { version: string; bucketStart: number; trueClass: string; predictedClass: string; probabilities: Record<string, number> | null }
  | { version: string; bucketStart: number; trueValue: number; predictedValue: number };

export interface OutcomeBatch {
  counted: CountedPrediction[];
  joined: JoinedOutcome[];
}

export interface RenderedBatch {
  deltas: BucketDeltas[];
  /** Outcomes that threw (dead-lettered by the service). */
  failed: number;
}

const PREDICTIONS = fixedSlot('n');
const LABELLED = fixedSlot('l');

export function slotDeltas(outcomes: OutcomeCounters, batch: OutcomeBatch): RenderedBatch {
  const deltas = outcomes.accumulator();
  for (const c of batch.counted) deltas.add(covFamily(c.version), c.bucketStart, PREDICTIONS, 1);
  let failed = 0;
  for (const j of batch.joined) {
    const perf = perfFamily(j.version);
    try {
      if ('trueClass' in j) outcomes.classification(j.trueClass, j.predictedClass, j.probabilities, deltas.group(perf, j.bucketStart));
      else outcomes.regression(j.trueValue, j.predictedValue, deltas, perf, j.bucketStart);
    } catch {
      failed += 1;
      continue;
    }
    deltas.add(covFamily(j.version), j.bucketStart, LABELLED, 1);
  }
  return { deltas: deltas.empty ? [] : deltas.toDeltas(), failed };
}

export function referenceDeltas(outcomes: ReferenceOutcomeCounters, batch: OutcomeBatch): RenderedBatch {
  const deltas = new ReferenceDeltaAccumulator();
  for (const c of batch.counted) deltas.add(covFamily(c.version), c.bucketStart, 'n', 1);
  let failed = 0;
  for (const j of batch.joined) {
    const perf = perfFamily(j.version);
    try {
      if ('trueClass' in j) outcomes.classification(j.trueClass, j.predictedClass, j.probabilities, deltas.counters(perf, j.bucketStart));
      else {
        const terms = outcomes.regression(j.trueValue, j.predictedValue);
        const counters = deltas.counters(perf, j.bucketStart);
        for (const [field, by] of terms) increment(counters, field, by);
      }
    } catch {
      failed += 1;
      continue;
    }
    deltas.add(covFamily(j.version), j.bucketStart, 'l', 1);
  }
  return { deltas: deltas.empty ? [] : deltas.toDeltas(), failed };
}

export interface BatchShape {
  outcomes: number;
  buckets: number;
  bucketMs: number;
  versions: number;
  classes: readonly string[];
  /** Share of classification outcomes with a probability map. */
  withProbabilities: number;
}

/** Classification outcomes whose probabilities sum to 1 over every class, truth right about 70 % of the time. */
export function classificationBatch(random: RandomSource, shape: BatchShape, t0 = 1_700_000_000_000): OutcomeBatch {
  const joined: JoinedOutcome[] = [];
  const counted: CountedPrediction[] = [];
  for (let i = 0; i < shape.outcomes; i += 1) {
    const version = String(1 + Math.floor(random() * shape.versions));
    const bucketStart = t0 + Math.floor(random() * shape.buckets) * shape.bucketMs;
    counted.push({ version, bucketStart });
    const weights = shape.classes.map(() => random());
    const total = weights.reduce((a, b) => a + b, 0);
    const probabilities: Record<string, number> = {};
    shape.classes.forEach((c, k) => {
      probabilities[c] = weights[k]! / total;
    });
    let predictedClass = shape.classes[0]!;
    for (const c of shape.classes) if (probabilities[c]! > probabilities[predictedClass]!) predictedClass = c;
    const trueClass = random() < 0.7 ? predictedClass : shape.classes[Math.floor(random() * shape.classes.length)]!;
    joined.push({ version, bucketStart, trueClass, predictedClass, probabilities: random() < shape.withProbabilities ? probabilities : null });
  }
  return { counted, joined };
}
