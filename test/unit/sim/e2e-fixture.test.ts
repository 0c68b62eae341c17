// The scikit-learn fixture of the end-to-end test was computed from this generator's
// output (scripts/reference/gen_e2e.py). If the generator changes, these fail until the
// fixture is regenerated, instead of the e2e test failing mysteriously.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateScenario, resolveScenarioOptions, type ScenarioParameters } from '../../../shared/sim/scenario.js';

interface FixtureWindow {
  start: number;
  end: number;
  count: number;
  labelled: number;
  accuracy: number | null;
}

interface Fixture {
  scenario: ScenarioParameters;
  windowMs: number;
  changePointTime: number;
  changePointWindow: { start: number; end: number };
  recoveryTime: number;
  predictions: number;
  labels: number;
  windows: FixtureWindow[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/e2e/churn-seed7.json', import.meta.url), 'utf8'),
) as Fixture;

describe('e2e fixture churn-seed7', () => {
  const scenario = generateScenario(fixture.scenario);

  it('records every generator parameter', () => {
    expect(resolveScenarioOptions(fixture.scenario)).toEqual(fixture.scenario);
    expect(scenario.changePointTime).toBe(fixture.changePointTime);
    expect(scenario.recoveryTime).toBe(fixture.recoveryTime);
    const w = fixture.windowMs;
    expect(fixture.changePointWindow.start).toBe(Math.floor(fixture.changePointTime / w) * w);
  });

  it('has the generator’s prediction and labelled counts and accuracy in every window', () => {
    expect(scenario.predictions).toHaveLength(fixture.predictions);
    expect(scenario.labels).toHaveLength(fixture.labels);
    const truth = new Map(scenario.labels.map((l) => [l.predictionId, l.trueClass]));
    const windows = new Map<number, { count: number; labelled: number; correct: number }>();
    for (const p of scenario.predictions) {
      const start = Math.floor((p.time as number) / fixture.windowMs) * fixture.windowMs;
      const w = windows.get(start) ?? { count: 0, labelled: 0, correct: 0 };
      w.count++;
      const t = truth.get(p.id);
      if (t !== undefined) {
        w.labelled++;
        if (t === p.predictedClass) w.correct++;
      }
      windows.set(start, w);
    }
    expect([...windows.keys()]).toEqual(fixture.windows.map((w) => w.start));
    for (const expected of fixture.windows) {
      const actual = windows.get(expected.start)!;
      expect({ start: expected.start, count: actual.count, labelled: actual.labelled }).toEqual({
        start: expected.start,
        count: expected.count,
        labelled: expected.labelled,
      });
      expect(actual.correct / actual.labelled).toBeCloseTo(expected.accuracy!, 12);
    }
  });
});
