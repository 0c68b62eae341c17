// The heatmap's cell rule (services/console/page/heatmap.js): no verdict below minCount.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain browser ES module without declarations
import { cellOf, colour, severity } from '../../../services/console/page/heatmap.js';

const drifted = { feature: 'x1', statistic: 'psi', value: 0.4, threshold: 0.2, drifted: true, pValue: null };
const window = (count: number, driftCount?: number) => ({ version: '1', start: 0, end: 5000, count, time: 1, labelCoverage: null, metrics: {}, drift: [drifted],
  predictionShares: null, referenceShares: null, ...(driftCount === undefined ? {} : { driftCount }) });

describe('drift heatmap cells', () => {
  it('draws no verdict for a window below minCount, whatever the service published', () => {
    expect(cellOf(window(999), drifted, 1000)).toEqual({ fill: '#e4e4e4', verdict: null });
    expect(cellOf(window(1000), drifted, 1000)).toEqual({ fill: colour(2), verdict: 'drifted' });
  });

  it("judges the drift service's own sample, not the window's prediction count", () => {
    expect(cellOf(window(1500, 800), drifted, 1000).verdict).toBeNull();
  });

  it('scales distances by the threshold and p-values the other way round', () => {
    expect(severity(drifted)).toBe(2);
    expect(severity({ ...drifted, statistic: 'ks', value: 0.01, threshold: 0.05 })).toBe(3); // capped: p = 0.01 is 5x past the 0.05 threshold
    expect(severity({ ...drifted, statistic: 'ks', value: 0.5, threshold: 0.05 })).toBeCloseTo(0.1);
    expect(severity({ ...drifted, value: 0.02 })).toBeCloseTo(0.1);
  });
});
