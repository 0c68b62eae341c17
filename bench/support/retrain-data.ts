// Labelled examples for the retrain benchmark, deterministic for a seed: concept A is a
// rotating hyperplane (10 features), concept B the same cube cut by another plane (a pure
// concept drift, shared/sim/concepts/hyperplane.ts). The bench's champion learns A; the
// traffic after the switch follows B.
import type { LabelledExample } from '../../shared/learning/example.js';
import type { ConceptSpec } from '../../shared/sim/concepts/index.js';
import { driftingStream } from '../../shared/sim/concepts/drift.js';
import { labelledSample } from '../../shared/sim/simulation.js';

export const CONCEPT_A: ConceptSpec = { kind: 'hyperplane', variant: 0, seed: 1 };
export const CONCEPT_B: ConceptSpec = { kind: 'hyperplane', variant: 1, seed: 1 };

/** `n` examples of one concept, event times 1 ms apart from `startTime`. */
export function conceptExamples(concept: ConceptSpec, n: number, seed: number, startTime = 0): LabelledExample[] {
  const stream = driftingStream({ before: concept, after: concept, at: Number.MAX_SAFE_INTEGER, seed });
  return labelledSample(stream, n, { startTime, rate: 1000 }).map((row, i) => ({ id: `e${seed}-${i}`, time: row.time, features: row.features, label: row.label }));
}
