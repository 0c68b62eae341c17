// Drift evaluation cost in the streaming form: 50 features × 20 fixed bins (+ underflow/overflow),
// binned PSI, Jensen–Shannon, normed Wasserstein and chi-square per feature, then the dataset share.
// The baseline is a plain pass over the same counts, measured in the same run.
import {
  chiSquareTestBinned,
  datasetDrift,
  jensenShannonBinned,
  psiBinned,
  wassersteinNormedBinned,
} from '../shared/stats/drift/index.js';
import { formatRate, opsPerSecond, printTable } from './lib.js';
import type { BenchModule } from './lib.js';

const FEATURES = 50;
const BINS = 22;

// Deterministic LCG so runs compare like with like.
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function histogram(random: () => number, shift: number, size: number): number[] {
  const counts = new Array<number>(BINS).fill(0);
  for (let i = 0; i < size; i++) {
    // Sum of uniforms ≈ normal; bins of width 0.3 over [-3, 3] plus under/overflow.
    const x = (random() + random() + random() + random() - 2) * 1.7 + shift;
    const bin = x < -3 ? 0 : x >= 3 ? BINS - 1 : 1 + Math.floor((x + 3) / 0.3);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts;
}

const random = makeRandom(42);
const binValues = Array.from({ length: BINS }, (_, i) => (i === 0 ? -3 : i === BINS - 1 ? 3 : -3 + (i - 0.5) * 0.3));
const features = Array.from({ length: FEATURES }, (_, f) => ({
  reference: histogram(random, 0, 5000),
  current: histogram(random, f % 3 === 0 ? 0.4 : 0, 2000),
}));

let sink = 0;

function baseline(): void {
  for (const { reference, current } of features) {
    for (let i = 0; i < BINS; i++) sink += (reference[i] as number) + (current[i] as number);
  }
}

function psiOnly(): void {
  for (const { reference, current } of features) sink += psiBinned(reference, current);
}

function fullEvaluation(): void {
  const results = features.map(({ reference, current }) => {
    const psi = psiBinned(reference, current);
    const js = jensenShannonBinned(reference, current);
    const wasserstein = wassersteinNormedBinned(reference, current, binValues);
    const chi = chiSquareTestBinned(reference, current).pValue;
    sink += psi + js + chi;
    return { drifted: wasserstein >= 0.1 };
  });
  sink += datasetDrift(results).shareOfDriftedColumns;
}

export default {
  title: `Drift evaluation: ${FEATURES} features × 20 bins (binned PSI, JS, Wasserstein, chi-square + dataset share)`,
  async run() {
    const rows = [
      { name: 'baseline: sum the counts', fn: baseline },
      { name: 'PSI only', fn: psiOnly },
      { name: 'PSI + JS + Wasserstein + chi-square + share', fn: fullEvaluation },
    ].map(({ name, fn }) => ({ name, rate: opsPerSecond(fn, 1, 1000) }));
    const base = rows[0]?.rate ?? 1;
    printTable(
      'evaluations of all features',
      rows.map(({ name, rate }) => ({
        case: name,
        'evaluations/s': formatRate(rate),
        'ms/evaluation': (1000 / rate).toFixed(4),
        'x baseline time': (base / rate).toFixed(1),
      })),
    );
    // Reading the sink keeps every result observable, so the JIT cannot drop the measured work.
    if (Number.isNaN(sink)) console.log('sink', sink);
  },
} satisfies BenchModule;
