import type { CounterInput, Counters } from './counters.js';
import { joinField, splitField, toNumber } from './counters.js';
import type { Revertible } from './mergeable.js';

/**
 * Counts of a numeric feature over fixed bin edges e0 < e1 < … < em, numpy's convention:
 * bin i is [e_i, e_{i+1}) and the last bin is closed [e_{m−1}, e_m]. Values below e0 go to
 * `underflow`, above e_m to `overflow`, null/undefined/NaN to `missing`.
 *
 * `count`, `sum` and `sumSquares` cover finite values only (±Infinity lands in the
 * underflow/overflow bins but would make every moment infinite), so mean and standard
 * deviation describe the finite part of the window.
 *
 * Counter fields: `b|<i>` bins, `u`, `o`, `m`, `n`, `~s`, `~ss`. The edges are
 * configuration: writer and reader must use the same ones.
 */
export class NumericHistogram implements Revertible<NumericHistogram> {
  readonly edges: readonly number[];
  readonly bins: number[];
  underflow = 0;
  overflow = 0;
  missing = 0;
  count = 0;
  sum = 0;
  sumSquares = 0;

  constructor(edges: readonly number[]) {
    if (edges.length < 2) throw new RangeError('a histogram needs at least two edges');
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i] as number;
      if (!Number.isFinite(e)) throw new RangeError(`histogram edge ${e} is not finite`);
      if (i > 0 && !(e > (edges[i - 1] as number))) throw new RangeError('histogram edges must increase strictly');
    }
    this.edges = [...edges];
    this.bins = new Array<number>(edges.length - 1).fill(0);
  }

  update(value: number | null | undefined): void {
    if (value === null || value === undefined || Number.isNaN(value)) {
      this.missing += 1;
      return;
    }
    const edges = this.edges;
    const last = edges.length - 1;
    if (value < (edges[0] as number)) this.underflow += 1;
    else if (value > (edges[last] as number)) this.overflow += 1;
    else {
      // Largest i with edges[i] <= value, capped so the top edge falls in the last bin.
      let lo = 0;
      let hi = last;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if ((edges[mid] as number) <= value) lo = mid;
        else hi = mid;
      }
      this.bins[lo] = (this.bins[lo] as number) + 1;
    }
    if (Number.isFinite(value)) {
      this.count += 1;
      this.sum += value;
      this.sumSquares += value * value;
    }
  }

  /** Every value seen, missing included. */
  get total(): number {
    return this.underflow + this.overflow + this.missing + this.bins.reduce((a, b) => a + b, 0);
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /** Variance with `ddof` delta degrees of freedom (0: population, 1: sample), as numpy. */
  variance(ddof: 0 | 1 = 0): number {
    if (this.count - ddof <= 0) return Number.NaN;
    const centered = this.sumSquares - (this.sum * this.sum) / this.count;
    return Math.max(centered, 0) / (this.count - ddof);
  }

  std(ddof: 0 | 1 = 0): number {
    return Math.sqrt(this.variance(ddof));
  }

  merge(other: NumericHistogram): NumericHistogram {
    return this.combine(other, 1);
  }

  subtract(other: NumericHistogram): NumericHistogram {
    return this.combine(other, -1);
  }

  clone(): NumericHistogram {
    return new NumericHistogram(this.edges).merge(this);
  }

  toCounters(): Counters {
    const out: Counters = {};
    this.bins.forEach((n, i) => {
      if (n !== 0) out[joinField('b', String(i))] = n;
    });
    if (this.underflow !== 0) out.u = this.underflow;
    if (this.overflow !== 0) out.o = this.overflow;
    if (this.missing !== 0) out.m = this.missing;
    if (this.count !== 0) {
      out.n = this.count;
      out['~s'] = this.sum;
      out['~ss'] = this.sumSquares;
    }
    return out;
  }

  static fromCounters(edges: readonly number[], counters: CounterInput): NumericHistogram {
    const h = new NumericHistogram(edges);
    for (const [field, raw] of Object.entries(counters)) {
      const value = toNumber(field, raw);
      switch (field) {
        case 'u': h.underflow += value; break;
        case 'o': h.overflow += value; break;
        case 'm': h.missing += value; break;
        case 'n': h.count += value; break;
        case '~s': h.sum += value; break;
        case '~ss': h.sumSquares += value; break;
        default: {
          const [kind, index, ...rest] = splitField(field);
          const i = Number(index);
          if (kind !== 'b' || rest.length > 0 || !Number.isInteger(i) || i < 0 || i >= h.bins.length) {
            throw new RangeError(`unknown histogram field ${field} for ${h.bins.length} bins`);
          }
          h.bins[i] = (h.bins[i] as number) + value;
        }
      }
    }
    return h;
  }

  private combine(other: NumericHistogram, sign: 1 | -1): NumericHistogram {
    if (other.edges.length !== this.edges.length || other.edges.some((e, i) => e !== this.edges[i])) {
      throw new RangeError('cannot combine histograms with different edges');
    }
    const bins = [...other.bins];
    bins.forEach((n, i) => {
      this.bins[i] = (this.bins[i] as number) + sign * n;
    });
    const { underflow, overflow, missing, count, sum, sumSquares } = other;
    this.underflow += sign * underflow;
    this.overflow += sign * overflow;
    this.missing += sign * missing;
    this.count += sign * count;
    this.sum += sign * sum;
    this.sumSquares += sign * sumSquares;
    if (this.count === 0) {
      this.sum = 0;
      this.sumSquares = 0;
    }
    return this;
  }
}
