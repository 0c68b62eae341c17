// SEA concepts (Street & Kim, 2001): three features uniform in [0, 10); only the first two
// matter. A point is class "1" when x1 + x2 ≤ θ, else "0". The four variants differ only in
// θ, so moving between them is a pure concept drift: the feature distribution never changes.
import type { ConceptDefinition } from './types.js';

export const SEA_THRESHOLDS = [8, 9, 7, 9.5] as const;

export interface SeaOptions {
  /** 0..3, selecting θ = 8, 9, 7, 9.5. Default 0. */
  variant?: number;
}

export const SEA_CLASSES = ['0', '1'];

/** The label SEA gives a point under threshold θ. */
export function seaLabel(x1: number, x2: number, threshold: number): string {
  return x1 + x2 <= threshold ? '1' : '0';
}

export const sea: ConceptDefinition<'sea', SeaOptions> = {
  kind: 'sea',
  create(options) {
    const variant = options.variant ?? 0;
    const threshold = SEA_THRESHOLDS[variant as 0 | 1 | 2 | 3];
    if (!Number.isInteger(variant) || threshold === undefined) {
      throw new RangeError(`sea: variant must be 0, 1, 2 or 3, got ${options.variant}`);
    }
    return {
      name: `sea(variant=${variant}, threshold=${threshold})`,
      classes: [...SEA_CLASSES],
      sample(rng) {
        const x1 = rng.uniform(0, 10);
        const x2 = rng.uniform(0, 10);
        const x3 = rng.uniform(0, 10);
        return { features: { x1, x2, x3 }, label: seaLabel(x1, x2, threshold) };
      },
    };
  },
};
