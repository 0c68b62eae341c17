// Seeded synthetic data for the learning tests: classes separated by a linear boundary,
// plus a categorical and a boolean feature that carry a little signal and some missing values.
import type { LabelledExample } from '../../../shared/learning/example.js';
import { createPrng } from '../../../shared/sim/prng.js';

export interface SyntheticOptions {
  rows: number;
  seed: number;
  /** Extra pure-noise numeric features. */
  noiseFeatures?: number;
  classes?: 2 | 3;
}

export function syntheticExamples(options: SyntheticOptions): LabelledExample[] {
  const prng = createPrng(options.seed);
  const classes = options.classes ?? 2;
  const out: LabelledExample[] = [];
  for (let i = 0; i < options.rows; i++) {
    const label = prng.int(0, classes - 1);
    // Class centres 3 standard deviations apart along x and y: nearly separable.
    const features: LabelledExample['features'] = {
      x: prng.normal(label * 3, 1),
      y: prng.normal(label === 1 ? 3 : 0, 1),
      colour: prng.chance(0.05) ? null : prng.chance(0.7) ? ['red', 'green', 'blue'][label] ?? 'red' : prng.pick({ red: 1, green: 1, blue: 1 }),
      flag: prng.chance(0.1) ? null : prng.chance(0.6) === (label === 0),
    };
    for (let k = 0; k < (options.noiseFeatures ?? 0); k++) features[`noise_${String(k).padStart(2, '0')}`] = prng.normal(0, 1);
    out.push({ id: `e${i}`, time: 1_000_000 + i * 1000, features, label: `class_${label}` });
  }
  return out;
}
