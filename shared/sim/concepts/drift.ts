// A stream that moves from one concept to another: abruptly at sample `at`, or gradually,
// with the probability of drawing from `after` rising linearly over `width` samples from
// `at` on (River's ConceptDriftStream mixes the two the same way, with a sigmoid instead of
// a line). Garbage labels can be switched on from some sample on, to simulate an upstream
// that starts sending labels that mean nothing.
import { createPrng } from '../prng.js';
import { createConcept, type ConceptSpec } from './index.js';
import { checkProbability, deriveSeed } from './seed.js';
import type { Concept, FeatureRow } from './types.js';

export interface NoiseLabelsOptions {
  /** Share of samples whose label is replaced by a class drawn uniformly. Default 1. */
  share?: number;
  /** Index of the first sample that may get a garbage label. Default 0. */
  from?: number;
}

export interface DriftingStreamOptions {
  before: ConceptSpec | Concept;
  after: ConceptSpec | Concept;
  /** Index of the first drifted sample (gradual: the first that may come from `after`). */
  at: number;
  /** 0 = abrupt; else P(after) at index i ≥ at is min(1, (i − at + 1) / width). Default 0. */
  width?: number;
  seed?: number;
  /** Stop after this many samples. Default: never. */
  count?: number;
  /**
   * Labels drawn uniformly at random from the concept's classes: `true` for every sample,
   * a number for that share of samples, or a share and a first index.
   */
  noiseLabels?: boolean | number | NoiseLabelsOptions;
}

export interface DriftSample {
  index: number;
  features: FeatureRow;
  label: string;
  concept: 'before' | 'after';
  /** True when the label was replaced by a random class (it may still equal the true one). */
  noisy: boolean;
}

/** The probability that sample `index` is drawn from the `after` concept. */
export function driftProbability(index: number, at: number, width: number): number {
  if (index < at) return 0;
  if (width <= 0) return 1;
  return Math.min(1, (index - at + 1) / width);
}

function resolveNoise(option: DriftingStreamOptions['noiseLabels']): { share: number; from: number } {
  if (option === undefined || option === false) return { share: 0, from: 0 };
  if (option === true) return { share: 1, from: 0 };
  if (typeof option === 'number') return { share: checkProbability('driftingStream', 'noiseLabels', option), from: 0 };
  const from = option.from ?? 0;
  if (!Number.isInteger(from) || from < 0) throw new RangeError(`driftingStream: noiseLabels.from must be a non-negative integer`);
  return { share: checkProbability('driftingStream', 'noiseLabels.share', option.share ?? 1), from };
}

const toConcept = (c: ConceptSpec | Concept): Concept => ('sample' in c ? c : createConcept(c));

/**
 * The samples, lazily. Features come from one generator, the schedule and the garbage
 * labels from another (both derived from `seed`), so the switch points of an abrupt drift
 * never depend on how many draws a concept consumes.
 */
export function* driftingStream(options: DriftingStreamOptions): Generator<DriftSample, void, undefined> {
  const { at } = options;
  const width = options.width ?? 0;
  if (!Number.isInteger(at) || at < 0) throw new RangeError(`driftingStream: at must be a non-negative integer, got ${at}`);
  if (!Number.isInteger(width) || width < 0) {
    throw new RangeError(`driftingStream: width must be a non-negative integer, got ${options.width}`);
  }
  const count = options.count ?? Infinity;
  if (!(count >= 0)) throw new RangeError(`driftingStream: count must be non-negative, got ${options.count}`);
  const noise = resolveNoise(options.noiseLabels);
  const before = toConcept(options.before);
  const after = toConcept(options.after);
  const seed = options.seed ?? 1;
  const sampling = createPrng(deriveSeed(seed, 1));
  const schedule = createPrng(deriveSeed(seed, 2));

  for (let index = 0; index < count; index++) {
    const p = driftProbability(index, at, width);
    // Only a gradual window draws, so an abrupt stream's schedule consumes nothing.
    const fromAfter = p >= 1 ? true : p <= 0 ? false : schedule.next() < p;
    const concept = fromAfter ? after : before;
    const row = concept.sample(sampling);
    let label = row.label;
    let noisy = false;
    if (noise.share > 0 && index >= noise.from && schedule.next() < noise.share) {
      noisy = true;
      label = concept.classes[Math.floor(schedule.next() * concept.classes.length)] ?? label;
    }
    yield { index, features: row.features, label, concept: fromAfter ? 'after' : 'before', noisy };
  }
}
