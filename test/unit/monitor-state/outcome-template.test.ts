import { describe, expect, it } from 'vitest';
import type { Prediction } from '../../../shared/codec/events.generated.js';
import { pickOutcome } from '../../../shared/monitor-state/memory-apply-perf-batch.js';
import { outcomeTemplate } from '../../../shared/monitor-state/outcome-template.js';
import type { PendingPrediction } from '../../../shared/monitor-state/types.js';
import { ConfusionMatrix } from '../../../shared/stats/window/confusion-matrix.js';
import { RegressionSums } from '../../../shared/stats/window/regression-sums.js';

function prediction(fields: Partial<Prediction>): Prediction {
  return {
    id: 'p',
    model: 'm',
    modelVersion: '1',
    eventTime: 0,
    numericFeatures: {},
    categoricalFeatures: {},
    booleanFeatures: {},
    missingFeatures: [],
    predictedClass: null,
    predictedValue: null,
    classProbabilities: {},
    segments: {},
    ...fields,
  };
}

function pendingOf(p: Prediction, knownClasses: string[] = []): PendingPrediction {
  return { id: p.id, bucketStart: 0, family: 'perf:1', coverageFamily: 'cov:1', outcome: outcomeTemplate(p, { knownClasses }) };
}

describe('outcomeTemplate + pickOutcome', () => {
  const probs = { a: 0.5, 'b|c': 0.3, '%': 0.2 };

  it('gives each true class, listed or not, the counters ConfusionMatrix.update gives it', () => {
    const pending = pendingOf(prediction({ predictedClass: 'a', classProbabilities: probs }), ['k']);
    expect(Object.keys(pending.outcome.kind === 'classification' ? pending.outcome.byClass : {}).sort()).toEqual(['%', 'a', 'b|c', 'k']);
    for (const truth of ['a', 'b|c', '%', 'k', 'unseen', 'un|seen%7C', '__proto__']) {
      const expected = new ConfusionMatrix();
      expected.update(truth, 'a', probs);
      const picked = pickOutcome(pending, truth, null);
      expect(Object.fromEntries(picked?.counters ?? []), truth).toEqual(expected.toCounters());
      expect(picked?.error).toBe(truth === 'a' ? 0 : 1);
    }
  });

  it('renders predictions without probabilities as plain confusion cells', () => {
    const pending = pendingOf(prediction({ predictedClass: 'x' }));
    const expected = new ConfusionMatrix();
    expected.update('y', 'x');
    expect(Object.fromEntries(pickOutcome(pending, 'y', null)?.counters ?? [])).toEqual(expected.toCounters());
    expect(pickOutcome(pending, null, 3)).toBeUndefined();
  });

  it('gives regression the RegressionSums counters of the pair, including |y| < eps', () => {
    for (const [y, yHat] of [[2.5, 1.25], [1e-17, 3], [-4, -4.5]] as const) {
      const pending = pendingOf(prediction({ predictedValue: yHat }));
      const expected = new RegressionSums();
      expected.update(y, yHat);
      const picked = pickOutcome(pending, null, y);
      expect(Object.fromEntries(picked?.counters ?? [])).toEqual(expected.toCounters());
      expect(picked?.error).toBe(Math.abs(y - yHat));
    }
  });

  it('refuses a prediction with neither class nor value', () => {
    expect(() => outcomeTemplate(prediction({}))).toThrow(/neither a class nor a finite value/);
  });
});
