// Window-state update, merge/subtract and metric cost. Baseline: a Map<string, number>
// increment, the cheapest possible "count an event" in the same run.
import type { BenchModule } from './lib.js';
import { formatRate, opsPerSecond, printTable } from './lib.js';
import {
  CategoricalCounts,
  ConfusionMatrix,
  NumericHistogram,
  RegressionSums,
  Reservoir,
  seededRandom,
} from '../shared/stats/window/index.js';
import { classificationReport, regressionReport } from '../shared/stats/metrics/index.js';

const N = 10_000;
const random = seededRandom(1);
const classes = ['c0', 'c1', 'c2', 'c3', 'c4'];
const trueLabels = Array.from({ length: N }, () => classes[Math.floor(random() * 5)] as string);
const predLabels = Array.from({ length: N }, () => classes[Math.floor(random() * 5)] as string);
const probabilities = Array.from({ length: N }, () => {
  const raw = classes.map(() => random());
  const sum = raw.reduce((a, b) => a + b, 0);
  return Object.fromEntries(classes.map((c, i) => [c, (raw[i] as number) / sum]));
});
const numbers = Array.from({ length: N }, () => random() * 10 - 5);
const edges = Array.from({ length: 21 }, (_, i) => -5 + i * 0.5);
const vocabulary = Array.from({ length: 50 }, (_, i) => `cat${i}`);
const categories = Array.from({ length: N }, () => `cat${Math.floor(random() * 60)}`);

function filledMatrix(): ConfusionMatrix {
  const cm = new ConfusionMatrix();
  for (let i = 0; i < N; i++) cm.update(trueLabels[i] as string, predLabels[i] as string, probabilities[i]);
  return cm;
}

function filledHistogram(): NumericHistogram {
  const h = new NumericHistogram(edges);
  for (const x of numbers) h.update(x);
  return h;
}

export default {
  title: 'window state and metrics',
  async run() {
    const baseline = opsPerSecond(() => {
      const m = new Map<string, number>();
      for (const c of categories) m.set(c, (m.get(c) ?? 0) + 1);
    }, N);

    const updates: [string, () => void][] = [
      ['confusion matrix (labels only)', () => {
        const cm = new ConfusionMatrix();
        for (let i = 0; i < N; i++) cm.update(trueLabels[i] as string, predLabels[i] as string);
      }],
      ['confusion matrix (+5 probabilities)', () => void filledMatrix()],
      ['numeric histogram (20 bins)', () => void filledHistogram()],
      ['categorical counts (50 of 60)', () => {
        const c = new CategoricalCounts(vocabulary);
        for (const x of categories) c.update(x);
      }],
      ['regression sums', () => {
        const s = new RegressionSums();
        for (let i = 0; i < N; i++) s.update(numbers[i] as number, (numbers[(i + 1) % N] as number));
      }],
      ['reservoir (capacity 256)', () => {
        const r = new Reservoir<number>(256, random);
        for (const x of numbers) r.update(x);
      }],
    ];
    const rows: Record<string, string | number>[] = [
      { operation: 'baseline Map increment', rate: formatRate(baseline), 'x baseline': 1 },
    ];
    for (const [name, fn] of updates) {
      const rate = opsPerSecond(fn, N);
      rows.push({ operation: `update: ${name}`, rate: formatRate(rate), 'x baseline': Number((rate / baseline).toFixed(3)) });
    }
    printTable(`updates per second (${N} events per call)`, rows);

    const cm = filledMatrix();
    const cmOther = filledMatrix();
    const h = filledHistogram();
    const hOther = filledHistogram();
    const counters = cm.toCounters();
    const sums = new RegressionSums();
    for (let i = 0; i < N; i++) sums.update(numbers[i] as number, 0);
    const reservoirA = new Reservoir<number>(256, random);
    const reservoirB = new Reservoir<number>(256, random);
    for (const x of numbers) {
      reservoirA.update(x);
      reservoirB.update(-x);
    }
    const perCall: [string, () => void][] = [
      ['confusion matrix merge + subtract', () => void cm.merge(cmOther).subtract(cmOther)],
      ['histogram merge + subtract', () => void h.merge(hOther).subtract(hOther)],
      ['reservoir merge (256 + 256)', () => void reservoirA.clone().merge(reservoirB)],
      ['confusion matrix toCounters', () => void cm.toCounters()],
      ['confusion matrix fromCounters', () => void ConfusionMatrix.fromCounters(counters)],
      ['classification report (5 classes, AUC, losses)', () => void classificationReport(cm, { positiveLabel: 'c0' })],
      ['regression report', () => void regressionReport(sums)],
    ];
    const merges: Record<string, string | number>[] = [];
    for (const [name, fn] of perCall) {
      const rate = opsPerSecond(fn, 1, 500);
      merges.push({ operation: name, 'calls/s': formatRate(rate), 'µs/call': Number((1e6 / rate).toFixed(2)) });
    }
    printTable('merge, serialization and metric cost per call', merges);
  },
} satisfies BenchModule;
