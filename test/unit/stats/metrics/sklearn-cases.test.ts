import { describe, expect, it } from 'vitest';
import {
  addCounters,
  ConfusionMatrix,
  RegressionSums,
  RollingWindow,
  seededRandom,
  type Counters,
} from '../../../../shared/stats/window/index.js';
import {
  accuracy,
  averagedScores,
  balancedAccuracy,
  binaryScores,
  brierScore,
  classificationReport,
  logLoss,
  perClassScores,
  regressionReport,
  rocAuc,
  rocAucOneVsRest,
} from '../../../../shared/stats/metrics/index.js';
import { expectMatches, expectPrf, loadFixture, type PrfExpected } from './fixtures.js';

interface ClassificationExpected {
  count: number;
  labels?: string[];
  accuracy?: number;
  balanced_accuracy?: number;
  per_class?: Record<string, PrfExpected & { support: number }>;
  macro?: PrfExpected;
  micro?: PrfExpected;
  weighted?: PrfExpected;
  binary?: PrfExpected;
  proba_count?: number;
  log_loss?: number | null;
  brier?: number | null;
  roc_auc?: number | null;
  roc_auc_ovr_macro?: number | null;
}

interface ClassificationCase {
  name: string;
  kind: 'classification';
  y_true: string[];
  y_pred: string[];
  labels: string[] | null;
  pos_label: string | null;
  bins: number;
  proba: (Record<string, number> | null)[] | null;
  expected: ClassificationExpected;
}

interface RegressionCase {
  name: string;
  kind: 'regression';
  y_true: number[];
  y_pred: number[];
  expected: { count: number; mae?: number; rmse?: number; mape?: number; r2?: number | null };
}

type Case = ClassificationCase | RegressionCase | { name: string; kind: 'histogram' };

const { cases } = loadFixture<{ cases: Case[] }>('cases.json');
const classification = cases.filter((c): c is ClassificationCase => c.kind === 'classification');
const regression = cases.filter((c): c is RegressionCase => c.kind === 'regression');

function oneSample(c: ClassificationCase, i: number): ConfusionMatrix {
  const cm = new ConfusionMatrix({ scoreBins: c.bins });
  cm.update(c.y_true[i] as string, c.y_pred[i] as string, c.proba?.[i] ?? null);
  return cm;
}

/** The three ways a window's state is built in production, which must agree. */
function matrices(c: ClassificationCase): [string, ConfusionMatrix][] {
  const n = c.y_true.length;
  const direct = new ConfusionMatrix({ scoreBins: c.bins });
  for (let i = 0; i < n; i++) direct.update(c.y_true[i] as string, c.y_pred[i] as string, c.proba?.[i] ?? null);

  // Redis: one hash delta per batch of events, window = field-wise sum of hashes.
  const random = seededRandom(n + 7);
  const summed: Counters = {};
  let batch = new ConfusionMatrix({ scoreBins: c.bins });
  for (let i = 0; i < n; i++) {
    batch.merge(oneSample(c, i));
    if (random() < 0.3 || i === n - 1) {
      addCounters(summed, JSON.parse(JSON.stringify(batch.toCounters())) as Counters);
      batch = new ConfusionMatrix({ scoreBins: c.bins });
    }
  }
  const viaCounters = ConfusionMatrix.fromCounters(summed, { scoreBins: c.bins });

  // One sample per bucket, with a few decoy buckets merged in and evicted again.
  const window = new RollingWindow<ConfusionMatrix>({
    bucketMs: 1,
    horizonMs: n + 1,
    create: () => new ConfusionMatrix({ scoreBins: c.bins }),
  });
  window.add(0, oneSample(classification[0] as ClassificationCase, 0));
  for (let i = 0; i < n; i++) window.add(i + 1, oneSample(c, i));
  window.advanceTo(n + 1);
  return [
    ['direct', direct],
    ['counters', viaCounters],
    ['rolling', window.state()],
  ];
}

describe('classification metrics match scikit-learn', () => {
  it('has enough cases', () => {
    expect(classification.length + regression.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of classification) {
    describe(c.name, () => {
      for (const [how, cm] of matrices(c)) {
        it(`via ${how}`, () => {
          const e = c.expected;
          expect(cm.count).toBe(e.count);
          const labels = c.labels ?? undefined;
          if (e.count === 0) {
            expect(accuracy(cm)).toBeNaN();
            expect(balancedAccuracy(cm)).toBeNaN();
            const macro = averagedScores(cm, 'macro', labels);
            expect(macro.f1).toBeNaN();
            expect(logLoss(cm)).toBeNaN();
            const report = classificationReport(cm, { labels });
            expect(report.count).toBe(0);
            expect(report.perClass.every((s) => Number.isNaN(s.f1))).toBe(true);
            return;
          }
          const effectiveLabels = labels ?? cm.labels();
          expect(effectiveLabels).toEqual(e.labels);
          expectMatches(accuracy(cm), e.accuracy, 'accuracy');
          expectMatches(balancedAccuracy(cm), e.balanced_accuracy, 'balanced_accuracy');
          for (const s of perClassScores(cm, effectiveLabels)) {
            const want = e.per_class?.[s.label];
            expectPrf(s, want, `per_class[${s.label}]`);
            expect(s.support).toBe(want?.support);
          }
          expectPrf(averagedScores(cm, 'macro', labels), e.macro, 'macro');
          expectPrf(averagedScores(cm, 'micro', labels), e.micro, 'micro');
          expectPrf(averagedScores(cm, 'weighted', labels), e.weighted, 'weighted');
          if (c.pos_label !== null) expectPrf(binaryScores(cm, c.pos_label), e.binary, 'binary');
          if (c.proba) {
            const probaLabels = [...new Set(c.proba.flatMap((p) => (p ? Object.keys(p) : [])))].sort();
            expect(cm.probabilityCount).toBe(e.proba_count);
            expectMatches(logLoss(cm), e.log_loss, 'log_loss');
            expectMatches(brierScore(cm, probaLabels), e.brier, 'brier');
            if (c.pos_label !== null) expectMatches(rocAuc(cm, c.pos_label), e.roc_auc, 'roc_auc');
            if (e.roc_auc_ovr_macro !== undefined) {
              expectMatches(rocAucOneVsRest(cm, probaLabels), e.roc_auc_ovr_macro, 'roc_auc_ovr_macro');
            }
            const report = classificationReport(cm, { positiveLabel: c.pos_label ?? undefined });
            expectMatches(report.probability?.logLoss, e.log_loss, 'report.logLoss');
          } else {
            expect(cm.probabilityCount).toBe(0);
            expect(logLoss(cm)).toBeNaN();
          }
        });
      }
    });
  }
});

describe('regression metrics match scikit-learn', () => {
  for (const c of regression) {
    it(c.name, () => {
      const n = c.y_true.length;
      const direct = new RegressionSums();
      const summed: Counters = {};
      const window = new RollingWindow<RegressionSums>({ bucketMs: 1, horizonMs: n + 1, create: () => new RegressionSums() });
      const decoy = new RegressionSums();
      decoy.update(1e3, -7);
      window.add(0, decoy);
      for (let i = 0; i < n; i++) {
        const one = new RegressionSums();
        one.update(c.y_true[i] as number, c.y_pred[i] as number);
        direct.update(c.y_true[i] as number, c.y_pred[i] as number);
        addCounters(summed, one.toCounters());
        window.add(i + 1, one);
      }
      window.advanceTo(n + 1);
      for (const [how, sums] of [
        ['direct', direct],
        ['counters', RegressionSums.fromCounters(summed)],
        ['rolling', window.state()],
      ] as const) {
        const r = regressionReport(sums);
        expect(r.count, how).toBe(c.expected.count);
        if (n === 0) {
          expect([r.mae, r.rmse, r.mape, r.r2].every(Number.isNaN), how).toBe(true);
          continue;
        }
        expectMatches(r.mae, c.expected.mae, `${how} mae`);
        expectMatches(r.rmse, c.expected.rmse, `${how} rmse`);
        expectMatches(r.mape, c.expected.mape, `${how} mape`);
        expectMatches(r.r2, c.expected.r2, `${how} r2`);
      }
    });
  }
});
