import { describe, expect, it } from 'vitest';
import { alertRule } from '../../../shared/config/monitoring-config.js';
import { driftMinCounts, minCountFor } from '../../../shared/monitor/drift-min-count.js';

describe('driftMinCounts / minCountFor', () => {
  const rules = [
    alertRule({ metric: 'drift:*', minCount: 1000 }),
    alertRule({ metric: 'drift:spend', minCount: 300 }),
    alertRule({ metric: 'drift:tenure', minCount: 5000 }),
    alertRule({ metric: 'prediction_drift', minCount: 800 }),
    alertRule({ metric: 'accuracy', comparison: 'below', warning: 0.9, minCount: 50 }),
  ];

  it('keeps the drift rules only, by the entry they judge', () => {
    expect(driftMinCounts(rules)).toEqual({ '*': 1000, spend: 300, tenure: 5000, '@prediction': 800 });
  });

  it('takes the smaller of a feature rule and the * rule: either may judge the window', () => {
    const counts = driftMinCounts(rules);
    expect(minCountFor(counts, 'spend')).toBe(300);
    expect(minCountFor(counts, 'tenure')).toBe(1000);
    expect(minCountFor(counts, 'age')).toBe(1000);
    expect(minCountFor(counts, '@prediction')).toBe(800);
  });

  it('is 0 where no rule judges the entry', () => {
    expect(minCountFor(driftMinCounts([alertRule({ metric: 'drift:spend', minCount: 300 })]), 'age')).toBe(0);
    expect(minCountFor(undefined, 'spend')).toBe(0);
  });
});
