import { describe, expect, it } from 'vitest';
import { ConfusionMatrix, RegressionSums, RollingWindow } from '../../../../shared/stats/window/index.js';
import {
  accuracy,
  averagedScores,
  balancedAccuracy,
  brierScore,
  logLoss,
  regressionReport,
  rocAucOneVsRest,
} from '../../../../shared/stats/metrics/index.js';
import { expectMatches, expectPrf, loadFixture, type PrfExpected } from './fixtures.js';

interface StreamItem {
  y_true: string;
  y_pred: string;
  proba: Record<string, number>;
  target: number;
  estimate: number;
}

interface WindowExpectation {
  size: number;
  end: number;
  expected: {
    count: number;
    accuracy: number;
    balanced_accuracy: number;
    log_loss: number;
    brier: number;
    macro: PrfExpected;
    micro: PrfExpected;
    weighted: PrfExpected;
    roc_auc_ovr_macro: number | null;
    mae: number;
    rmse: number;
    mape: number;
    r2: number | null;
  };
}

const fixture = loadFixture<{ labels: string[]; bins: number; stream: StreamItem[]; windows: WindowExpectation[] }>(
  'rolling.json',
);
const sizes = [...new Set(fixture.windows.map((w) => w.size))];

// One item per 1 ms bucket, so a horizon of n ms is exactly "the last n items": every
// step merges a bucket in and, once the window is full, subtracts one out.
describe.each(sizes)('rolling window of the last %i items matches scikit-learn', (size) => {
  const checkpoints = new Map(fixture.windows.filter((w) => w.size === size).map((w) => [w.end, w.expected]));
  const classes = new RollingWindow<ConfusionMatrix>({
    bucketMs: 1,
    horizonMs: size,
    create: () => new ConfusionMatrix({ scoreBins: fixture.bins }),
  });
  const values = new RollingWindow<RegressionSums>({ bucketMs: 1, horizonMs: size, create: () => new RegressionSums() });
  const observed: { end: number; cm: ConfusionMatrix; sums: RegressionSums }[] = [];
  fixture.stream.forEach((item, i) => {
    const cm = new ConfusionMatrix({ scoreBins: fixture.bins });
    cm.update(item.y_true, item.y_pred, item.proba);
    classes.add(i, cm);
    const sums = new RegressionSums();
    sums.update(item.target, item.estimate);
    values.add(i, sums);
    if (checkpoints.has(i)) observed.push({ end: i, cm: classes.state(), sums: values.state() });
  });

  it('reached every checkpoint', () => {
    expect(observed.map((o) => o.end)).toEqual([...checkpoints.keys()]);
  });

  for (const { end, cm, sums } of observed) {
    it(`window ending at item ${end}`, () => {
      const e = checkpoints.get(end);
      if (!e) throw new Error('missing checkpoint');
      const labels = fixture.labels;
      expect(cm.count).toBe(e.count);
      expectMatches(accuracy(cm), e.accuracy, 'accuracy');
      expectMatches(balancedAccuracy(cm), e.balanced_accuracy, 'balanced_accuracy');
      expectPrf(averagedScores(cm, 'macro', labels), e.macro, 'macro');
      expectPrf(averagedScores(cm, 'micro', labels), e.micro, 'micro');
      expectPrf(averagedScores(cm, 'weighted', labels), e.weighted, 'weighted');
      expectMatches(logLoss(cm), e.log_loss, 'log_loss');
      expectMatches(brierScore(cm, labels), e.brier, 'brier');
      expectMatches(rocAucOneVsRest(cm, labels), e.roc_auc_ovr_macro, 'roc_auc_ovr_macro');
      const r = regressionReport(sums);
      expect(r.count).toBe(e.count);
      expectMatches(r.mae, e.mae, 'mae');
      expectMatches(r.rmse, e.rmse, 'rmse');
      expectMatches(r.mape, e.mape, 'mape');
      expectMatches(r.r2, e.r2, 'r2');
    });
  }
});
