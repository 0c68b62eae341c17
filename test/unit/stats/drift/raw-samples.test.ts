import { describe, expect, it } from 'vitest';
import {
  chiSquareTest,
  detectColumnDrift,
  hellinger,
  jensenShannon,
  klDivergence,
  ksTest,
  psi,
  wassersteinNormed,
  zTest,
} from '../../../../shared/stats/drift/index.js';
import type { ColumnType, RawValue, StatTestName } from '../../../../shared/stats/drift/index.js';
import { closeMessage, expandSample, isClose, loadFixture } from './fixtures.js';
import type { SampleSpec } from './fixtures.js';

interface RawCase {
  name: string;
  note: string;
  columnType: ColumnType;
  reference: SampleSpec;
  current: SampleSpec;
  nUnique: number;
  referenceSize: number;
  expected: Partial<Record<StatTestName | 'ks_statistic', number>>;
  default: { statistic: StatTestName; value: number; threshold: number; drifted: boolean };
}

const cases = loadFixture<RawCase[]>('raw-cases.json');
const DISTANCE_TOLERANCE = 1e-6;
const P_ABS = 1e-6;
const P_REL = 1e-4;

type Compute = (ref: RawValue[], cur: RawValue[], type: ColumnType) => number;
const computations: Record<StatTestName | 'ks_statistic', Compute> = {
  psi,
  kl_div: klDivergence,
  jensenshannon: jensenShannon,
  hellinger,
  wasserstein: (ref, cur) => wassersteinNormed(ref, cur),
  chisquare: (ref, cur) => chiSquareTest(ref, cur).pValue,
  z: (ref, cur) => zTest(ref, cur).pValue,
  ks: (ref, cur) => ksTest(ref, cur).pValue,
  ks_statistic: (ref, cur) => ksTest(ref, cur).statistic,
};
const P_VALUES = new Set(['chisquare', 'z', 'ks']);

describe('raw-sample drift statistics match SciPy under Evidently conventions', () => {
  it('covers at least 20 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of cases) {
    describe(`${c.name} (${c.note})`, () => {
      const reference = expandSample(c.reference);
      const current = expandSample(c.current);

      it('each statistic matches', () => {
        for (const [name, expected] of Object.entries(c.expected)) {
          const actual = computations[name as keyof typeof computations](reference, current, c.columnType);
          const ok = P_VALUES.has(name)
            ? isClose(actual, expected, P_ABS, P_REL)
            : isClose(actual, expected, DISTANCE_TOLERANCE, DISTANCE_TOLERANCE);
          expect(ok, closeMessage(name, actual, expected)).toBe(true);
        }
      });

      it('the default test, its threshold and the drift decision match', () => {
        const result = detectColumnDrift({ columnType: c.columnType, reference, current });
        expect(result.statistic).toBe(c.default.statistic);
        expect(result.threshold).toBe(c.default.threshold);
        expect(result.drifted).toBe(c.default.drifted);
        expect(isClose(result.value, c.default.value, P_ABS, P_REL), closeMessage('value', result.value, c.default.value)).toBe(
          true,
        );
        if (P_VALUES.has(result.statistic)) expect(result.pValue).toBe(result.value);
        else expect(result.pValue).toBeUndefined();
      });
    });
  }
});
