// A seeded random source that draws exactly the numbers CPython's `random.Random(seed)`
// draws, so that components ported from Python (KSWIN samples window indices with it) make
// the same choices as the original for the same seed.

const N = 624;
const M = 397;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const MATRIX_A = 0x9908b0df;
const TWO_POW_32 = 4294967296;

/** The complete generator state, plain JSON: 624 words and the position in them. */
export interface MersenneTwisterState {
  words: number[];
  index: number;
}

/** What a consumer that needs reproducible random subsets (KSWIN) depends on. */
export interface RandomSource {
  /** Float in [0, 1) with 53 random bits. */
  random(): number;
  /** Integer in [0, n), drawn without modulo bias. */
  randBelow(n: number): number;
  /**
   * Writes into out[0..k) the same k distinct integers, in the same order, that Python's
   * `random.sample(range(n), k)` returns.
   */
  sampleRange(n: number, k: number, out: Int32Array): void;
  getState(): MersenneTwisterState;
  setState(state: MersenneTwisterState): void;
}

/** Splits a non-negative integer into 32-bit words, least significant first (CPython's key). */
function seedKey(seed: number | bigint): number[] {
  let value = typeof seed === 'bigint' ? seed : BigInt(Math.trunc(seed));
  if (value < 0n) value = -value;
  if (value === 0n) return [0];
  const key: number[] = [];
  while (value > 0n) {
    key.push(Number(value & 0xffffffffn));
    value >>= 32n;
  }
  return key;
}

function bitLength(n: number): number {
  if (n < TWO_POW_32) return 32 - Math.clz32(n);
  return 64 - Math.clz32(Math.floor(n / TWO_POW_32));
}

/** CPython 3.11's threshold between the pool and the rejection-set algorithms of sample(). */
function sampleSetSize(k: number): number {
  let setSize = 21;
  if (k > 5) setSize += 4 ** Math.ceil(Math.log(k * 3) / Math.log(4));
  return setSize;
}

export class MersenneTwister implements RandomSource {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;
  // Reused by sampleRange so KSWIN's per-update sampling allocates nothing.
  private pool = new Int32Array(0);
  private readonly selected = new Set<number>();

  /** Seeds like `random.Random(seed)` for an int seed; without one, from the OS's entropy. */
  constructor(seed?: number | bigint) {
    this.seed(seed ?? randomSeed());
  }

  seed(seed: number | bigint): void {
    this.initByArray(seedKey(seed));
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.index = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j]! + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = N;
  }

  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.index = 0;
  }

  /** Next 32-bit output word. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /** `getrandbits(k)` for 0 <= k <= 53 (enough for any safe integer bound). */
  getRandBits(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k > 53) throw new RangeError('getRandBits supports 0..53 bits');
    if (k === 0) return 0;
    if (k <= 32) return this.nextUint32() >>> (32 - k);
    // CPython fills the result from its least significant word upward.
    const low = this.nextUint32();
    const high = this.nextUint32() >>> (64 - k);
    return high * TWO_POW_32 + low;
  }

  randBelow(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError('randBelow needs a positive safe integer');
    const k = bitLength(n);
    let r = this.getRandBits(k);
    while (r >= n) r = this.getRandBits(k);
    return r;
  }

  sampleRange(n: number, k: number, out: Int32Array): void {
    if (!(k >= 0 && k <= n)) throw new RangeError('Sample larger than population or is negative');
    if (out.length < k) throw new RangeError('output buffer shorter than k');
    if (n <= sampleSetSize(k)) {
      if (this.pool.length < n) this.pool = new Int32Array(n);
      const pool = this.pool;
      for (let i = 0; i < n; i++) pool[i] = i;
      for (let i = 0; i < k; i++) {
        const j = this.randBelow(n - i);
        out[i] = pool[j]!;
        pool[j] = pool[n - i - 1]!;
      }
      return;
    }
    const selected = this.selected;
    selected.clear();
    for (let i = 0; i < k; i++) {
      let j = this.randBelow(n);
      while (selected.has(j)) j = this.randBelow(n);
      selected.add(j);
      out[i] = j;
    }
    selected.clear();
  }

  /** `random.sample(population, k)` for an array population. */
  sample<T>(population: readonly T[], k: number): T[] {
    const indices = new Int32Array(k);
    this.sampleRange(population.length, k, indices);
    return Array.from(indices, (i) => population[i]!);
  }

  getState(): MersenneTwisterState {
    return { words: Array.from(this.mt), index: this.index };
  }

  setState(state: MersenneTwisterState): void {
    if (state.words.length !== N) throw new RangeError(`state needs ${N} words`);
    this.mt.set(state.words);
    this.index = state.index;
  }

  static fromState(state: MersenneTwisterState): MersenneTwister {
    const rng = new MersenneTwister(0);
    rng.setState(state);
    return rng;
  }
}

function randomSeed(): number {
  const word = new Uint32Array(2);
  globalThis.crypto.getRandomValues(word);
  return word[0]! * 2097152 + (word[1]! >>> 11);
}
