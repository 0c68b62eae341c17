// The concept registry. A new concept kind is one file exporting a `ConceptDefinition` and
// one line in `CONCEPTS` below; its options join `ConceptSpec` by themselves. The drift
// schedule over two concepts is `./drift.ts` (imported from there, so this module has no cycle).
import { agrawal } from './agrawal.js';
import { hyperplane } from './hyperplane.js';
import { sea } from './sea.js';
import { checkProbability } from './seed.js';
import type { CommonConceptOptions, Concept, ConceptDefinition } from './types.js';

const CONCEPTS = {
  sea,
  hyperplane,
  agrawal,
} as const;

type Registry = typeof CONCEPTS;
export type ConceptKind = keyof Registry;
type OptionsOf<D> = D extends ConceptDefinition<string, infer O> ? O : never;

/** A concept by name and options, e.g. `{ kind: 'hyperplane', variant: 1, features: 10, seed: 7 }`. */
export type ConceptSpec = {
  [K in ConceptKind]: { kind: K } & OptionsOf<Registry[K]> & CommonConceptOptions;
}[ConceptKind];

export const CONCEPT_KINDS = Object.keys(CONCEPTS) as ConceptKind[];

export function isConceptKind(kind: string): kind is ConceptKind {
  return Object.hasOwn(CONCEPTS, kind);
}

export function createConcept(spec: ConceptSpec): Concept {
  if (!isConceptKind(spec.kind)) {
    throw new RangeError(`unknown concept kind ${JSON.stringify(spec.kind)}; known: ${CONCEPT_KINDS.join(', ')}`);
  }
  const definition = CONCEPTS[spec.kind] as ConceptDefinition<string, object>;
  const concept = definition.create(spec);
  const noise = checkProbability(spec.kind, 'noise', spec.noise);
  return noise > 0 ? withLabelNoise(concept, noise) : concept;
}

/** With probability `p`, a sample's label is replaced by one of the other classes (uniformly). */
export function withLabelNoise(concept: Concept, p: number): Concept {
  return {
    name: `${concept.name} + noise ${p}`,
    classes: concept.classes,
    sample(rng) {
      const row = concept.sample(rng);
      if (rng.next() >= p) return row;
      const others = concept.classes.filter((c) => c !== row.label);
      if (others.length === 0) return row;
      return { features: row.features, label: others[Math.floor(rng.next() * others.length)]! };
    },
  };
}

export type { CommonConceptOptions, Concept, ConceptDefinition, FeatureRow, FeatureValue, LabelledRow } from './types.js';
export { agrawal, agrawalFeatures, agrawalLabel, drawAgrawalAttributes, AGRAWAL_CLASSES, type AgrawalAttributes, type AgrawalOptions } from './agrawal.js';
export { hyperplane, hyperplaneLabel, hyperplaneWeights, HYPERPLANE_CLASSES, type HyperplaneOptions } from './hyperplane.js';
export { sea, seaLabel, SEA_CLASSES, SEA_THRESHOLDS, type SeaOptions } from './sea.js';
export { deriveSeed } from './seed.js';
