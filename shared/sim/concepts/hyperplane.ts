// Rotating-hyperplane concepts (Hulten et al., 2001; River's Hyperplane): d features uniform
// in [0, 1), class "1" when w·x ≥ w0 with w0 = ½Σw, else "0". Every such hyperplane passes
// through the cube's centre, so by the symmetry x ↦ 1 − x the classes are balanced whatever
// the weights. The weights are drawn uniformly in [0, 1) from the concept's seed and its
// variant, so another variant is the same cube cut by a rotated plane: a pure concept drift.
import { createPrng } from '../prng.js';
import { deriveSeed } from './seed.js';
import type { ConceptDefinition } from './types.js';

export interface HyperplaneOptions {
  /** Which weight vector; each variant draws its own. Default 0. */
  variant?: number;
  /** Number of features, named x1..xd. Default 10. */
  features?: number;
  /** Explicit weights (overrides the seeded draw); its length sets `features`. */
  weights?: readonly number[];
}

export const HYPERPLANE_CLASSES = ['0', '1'];

/** The weights of a variant: uniform in [0, 1), a function of (seed, variant) alone. */
export function hyperplaneWeights(seed: number, variant: number, features: number): number[] {
  const rng = createPrng(deriveSeed(seed, 0x4879 + variant));
  return Array.from({ length: features }, () => rng.next());
}

export function hyperplaneLabel(weights: readonly number[], x: readonly number[]): string {
  let dot = 0;
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    dot += weights[i]! * x[i]!;
    sum += weights[i]!;
  }
  return dot >= sum / 2 ? '1' : '0';
}

export const hyperplane: ConceptDefinition<'hyperplane', HyperplaneOptions> = {
  kind: 'hyperplane',
  create(options) {
    const variant = options.variant ?? 0;
    if (!Number.isInteger(variant) || variant < 0) {
      throw new RangeError(`hyperplane: variant must be a non-negative integer, got ${options.variant}`);
    }
    let weights: number[];
    if (options.weights) {
      weights = [...options.weights];
      if (weights.length === 0 || !weights.every(Number.isFinite)) {
        throw new RangeError('hyperplane: weights must be a non-empty list of finite numbers');
      }
      if (options.features !== undefined && options.features !== weights.length) {
        throw new RangeError(`hyperplane: ${weights.length} weights given for ${options.features} features`);
      }
    } else {
      const features = options.features ?? 10;
      if (!Number.isInteger(features) || features < 1) {
        throw new RangeError(`hyperplane: features must be a positive integer, got ${options.features}`);
      }
      weights = hyperplaneWeights(options.seed ?? 1, variant, features);
    }
    const names = weights.map((_, i) => `x${i + 1}`);
    return {
      name: `hyperplane(variant=${variant}, features=${weights.length})`,
      classes: [...HYPERPLANE_CLASSES],
      sample(rng) {
        const x = weights.map(() => rng.next());
        const features: Record<string, number> = {};
        names.forEach((name, i) => (features[name] = x[i]!));
        return { features, label: hyperplaneLabel(weights, x) };
      },
    };
  },
};
