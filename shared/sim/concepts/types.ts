// The one small interface every synthetic concept implements. A concept is a labelling
// rule over a feature distribution; it owns no randomness of its own for sampling (the
// caller passes the seeded generator), so a stream is reproducible from its seed alone.
import type { Prng } from '../prng.js';

/** One feature value as the SDK accepts it; null is a missing value. */
export type FeatureValue = number | string | boolean | null;

/** One row of features, keyed by feature name. */
export type FeatureRow = Record<string, FeatureValue>;

export interface LabelledRow {
  features: FeatureRow;
  label: string;
}

export interface Concept {
  /** A readable name with the options that matter, e.g. `sea(variant=2, threshold=7)`. */
  readonly name: string;
  /** Every label `sample` can return. */
  readonly classes: string[];
  sample(rng: Prng): LabelledRow;
}

/**
 * How the registry knows a concept kind: its name and a factory from its options. Options
 * that every kind shares (`noise`, `seed`) are handled by `createConcept`, not here.
 */
export interface ConceptDefinition<K extends string, O extends object> {
  readonly kind: K;
  create(options: O & CommonConceptOptions): Concept;
}

export interface CommonConceptOptions {
  /**
   * Seed of the concept's own fixed parameters (a hyperplane's weights), not of the
   * samples: the samples come from the generator the stream passes to `sample`.
   */
  seed?: number;
  /** Probability that a sample's label is replaced by another class (River's label noise). */
  noise?: number;
}
