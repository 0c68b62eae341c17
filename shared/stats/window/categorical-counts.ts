import type { CounterInput, Counters } from './counters.js';
import { joinField, splitField, toNumber } from './counters.js';
import type { Revertible } from './mergeable.js';

export const DEFAULT_MAX_CATEGORIES = 50;

/**
 * Counts of a categorical feature over a fixed vocabulary (at most `maxCategories`
 * entries); any other value is counted in `other`, null/undefined in `missing`.
 *
 * Why a fixed vocabulary rather than "the first K seen": every bucket of a window must
 * agree on which values are tracked, or merging a bucket that tracked "x" with one that
 * folded "x" into other would silently undercount "x". With the vocabulary fixed up front
 * (normally the reference profile's top-K, see `fromReference`), merge and subtract are
 * exact sums and `other` means the same thing in every bucket.
 *
 * Counter fields: `c|<category>`, `o` (other), `m` (missing). Reading counters written
 * under a different vocabulary folds unknown categories into `other` instead of failing,
 * so a reference change does not break windows still holding older buckets.
 */
export class CategoricalCounts implements Revertible<CategoricalCounts> {
  readonly vocabulary: readonly string[];
  private readonly known: Set<string>;
  private readonly counts = new Map<string, number>();
  other = 0;
  missing = 0;

  constructor(vocabulary: readonly string[], maxCategories = DEFAULT_MAX_CATEGORIES) {
    const unique = [...new Set(vocabulary)];
    if (unique.length > maxCategories) {
      throw new RangeError(`vocabulary has ${unique.length} categories, more than maxCategories=${maxCategories}`);
    }
    this.vocabulary = unique;
    this.known = new Set(unique);
  }

  /** Vocabulary = the k most frequent categories of a reference (ties by code point). */
  static fromReference(
    referenceCounts: Iterable<readonly [string, number]>,
    maxCategories = DEFAULT_MAX_CATEGORIES,
  ): CategoricalCounts {
    const ranked = [...referenceCounts]
      .filter(([, n]) => n > 0)
      .sort(([a, na], [b, nb]) => nb - na || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, maxCategories)
      .map(([c]) => c);
    return new CategoricalCounts(ranked, maxCategories);
  }

  update(value: string | null | undefined): void {
    if (value === null || value === undefined) this.missing += 1;
    else if (this.known.has(value)) this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
    else this.other += 1;
  }

  count(category: string): number {
    return this.counts.get(category) ?? 0;
  }

  /** Counts in vocabulary order, zeros included, so two windows align index by index. */
  vocabularyCounts(): number[] {
    return this.vocabulary.map((c) => this.counts.get(c) ?? 0);
  }

  get total(): number {
    let n = this.other + this.missing;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  merge(other: CategoricalCounts): CategoricalCounts {
    return this.combine(other, 1);
  }

  subtract(other: CategoricalCounts): CategoricalCounts {
    return this.combine(other, -1);
  }

  clone(): CategoricalCounts {
    return new CategoricalCounts(this.vocabulary, Math.max(this.vocabulary.length, 1)).merge(this);
  }

  toCounters(): Counters {
    const out: Counters = {};
    for (const [c, n] of this.counts) if (n !== 0) out[joinField('c', c)] = n;
    if (this.other !== 0) out.o = this.other;
    if (this.missing !== 0) out.m = this.missing;
    return out;
  }

  static fromCounters(
    vocabulary: readonly string[],
    counters: CounterInput,
    maxCategories = DEFAULT_MAX_CATEGORIES,
  ): CategoricalCounts {
    const cc = new CategoricalCounts(vocabulary, maxCategories);
    for (const [field, raw] of Object.entries(counters)) {
      const value = toNumber(field, raw);
      if (field === 'o') cc.other += value;
      else if (field === 'm') cc.missing += value;
      else {
        const parts = splitField(field);
        const category = parts[1];
        if (parts.length !== 2 || parts[0] !== 'c' || category === undefined) {
          throw new RangeError(`unknown categorical field ${field}`);
        }
        if (cc.known.has(category)) cc.add(category, value);
        else cc.other += value;
      }
    }
    return cc;
  }

  private add(category: string, delta: number): void {
    const next = (this.counts.get(category) ?? 0) + delta;
    if (next === 0) this.counts.delete(category);
    else this.counts.set(category, next);
  }

  private combine(other: CategoricalCounts, sign: 1 | -1): CategoricalCounts {
    if (other.vocabulary.length !== this.vocabulary.length || other.vocabulary.some((c) => !this.known.has(c))) {
      throw new RangeError('cannot combine categorical counts with different vocabularies');
    }
    for (const [c, n] of [...other.counts]) this.add(c, sign * n);
    const { other: otherCount, missing } = other;
    this.other += sign * otherCount;
    this.missing += sign * missing;
    return this;
  }
}
