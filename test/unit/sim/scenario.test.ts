import { describe, expect, it } from 'vitest';
import { Codec } from '../../../shared/codec/index.js';
import { toLabelEvent, toPredictionEvent } from '../../../shared/sdk/records.js';
import {
  generateScenario,
  predictionTime,
  resolveScenarioOptions,
  scenarioDeliveries,
  type Scenario,
} from '../../../shared/sim/scenario.js';

const timeOf = (record: { time?: Date | number }): number => record.time as number;

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Share of labelled predictions in [from, to) whose true class differs from the predicted one. */
function errorRate(scenario: Scenario, from: number, to: number): number {
  const truth = new Map(scenario.labels.map((l) => [l.predictionId, l.trueClass]));
  let wrong = 0;
  let labelled = 0;
  for (const p of scenario.predictions.slice(from, to)) {
    const t = truth.get(p.id);
    if (t === undefined) continue;
    labelled++;
    if (t !== p.predictedClass) wrong++;
  }
  return wrong / labelled;
}

describe('generateScenario', () => {
  const scenario = generateScenario({ seed: 3, count: 12_000, shiftAt: 4_000, recoverAt: 8_000 });

  it('is a pure function of its seed', () => {
    const again = generateScenario({ seed: 3, count: 12_000, shiftAt: 4_000, recoverAt: 8_000 });
    expect(again.deliveries).toEqual(scenario.deliveries);
    const other = generateScenario({ seed: 4, count: 12_000, shiftAt: 4_000, recoverAt: 8_000 });
    expect(other.predictions[0]!.features).not.toEqual(scenario.predictions[0]!.features);
  });

  it('spaces predictions at eventsPerSecond of event time', () => {
    const p = scenario.parameters;
    expect(p.eventsPerSecond).toBe(50);
    scenario.predictions.forEach((record, i) => expect(timeOf(record)).toBe(predictionTime(p, i)));
    const last = timeOf(scenario.predictions.at(-1)!);
    expect(last - p.startTime).toBe(Math.floor(((p.count - 1) * 1000) / 50));
  });

  it('delivers in event-time order, each label after its prediction within the delay range', () => {
    let previous = -Infinity;
    const seenAt = new Map<string, number>();
    scenario.deliveries.forEach((d, position) => {
      const t = timeOf(d.record);
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
      if (d.kind === 'prediction') seenAt.set(d.record.id, position);
      else {
        const predictionPosition = seenAt.get(d.record.predictionId);
        expect(predictionPosition).toBeDefined();
        expect(predictionPosition!).toBeLessThan(position);
      }
    });
    const predictionTimes = new Map(scenario.predictions.map((p) => [p.id, timeOf(p)]));
    const delays = scenario.labels.map((l) => timeOf(l) - predictionTimes.get(l.predictionId)!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
  });

  it('delivers labels out of order relative to their predictions', () => {
    const index = new Map(scenario.predictions.map((p, i) => [p.id, i]));
    const order = scenario.labels.map((l) => index.get(l.predictionId)!);
    const inversions = order.filter((v, i) => i > 0 && v < order[i - 1]!).length;
    expect(inversions).toBeGreaterThan(scenario.labels.length / 4);
  });

  it('labels every prediction by default and leaves about unlabelledShare unlabelled when asked', () => {
    expect(scenario.labels).toHaveLength(scenario.predictions.length);
    const partial = generateScenario({ seed: 3, count: 12_000, unlabelledShare: 0.2 });
    expect(partial.labels.length / partial.predictions.length).toBeCloseTo(0.8, 1);
    // The unlabelled draw does not disturb the others: features are those of the same seed.
    expect(partial.predictions.map((p) => p.features)).toEqual(
      generateScenario({ seed: 3, count: 12_000 }).predictions.map((p) => p.features),
    );
  });

  it('shifts spend and the error rate between shiftAt and recoverAt only', () => {
    const spend = (from: number, to: number) => mean(scenario.predictions.slice(from, to).map((p) => p.features.spend as number));
    // 4,000 draws of sd 20: the standard error is 0.32, so ±1.5 is a wide margin.
    expect(Math.abs(spend(0, 4_000) - 70)).toBeLessThan(1.5);
    expect(spend(4_000, 8_000)).toBeGreaterThan(120);
    expect(Math.abs(spend(8_000, 12_000) - 70)).toBeLessThan(1.5);
    expect(errorRate(scenario, 0, 4_000)).toBeCloseTo(0.1, 1);
    expect(errorRate(scenario, 4_000, 8_000)).toBeCloseTo(0.4, 1);
    expect(errorRate(scenario, 8_000, 12_000)).toBeCloseTo(0.1, 1);
    expect(scenario.changePointTime).toBe(predictionTime(scenario.parameters, 4_000));
    expect(scenario.recoveryTime).toBe(predictionTime(scenario.parameters, 8_000));
  });

  it('has every feature type, some missing values, and records the codec accepts', () => {
    const codec = new Codec();
    const missing = scenario.predictions.filter((p) => p.features.age === null).length;
    expect(missing / scenario.predictions.length).toBeCloseTo(0.02, 2);
    const first = toPredictionEvent(scenario.predictions[0]!);
    expect(Object.keys(first.numericFeatures!).sort()).toEqual(expect.arrayContaining(['spend', 'support_calls', 'tenure']));
    expect(Object.keys(first.categoricalFeatures!)).toContain('plan');
    expect(Object.keys(first.booleanFeatures!)).toEqual(['mobile']);
    for (const p of scenario.predictions.slice(0, 2_000)) {
      const event = toPredictionEvent(p);
      expect(codec.decode('prediction', codec.encode('prediction', event).value, codec.encode('prediction', event).headers).id).toBe(p.id);
      expect(p.probabilities!.yes! >= 0.5).toBe(p.predictedClass === 'yes');
    }
    for (const l of scenario.labels.slice(0, 500)) codec.encode('label', toLabelEvent(l));
  });

  it('streams the same deliveries lazily', () => {
    const streamed = [...scenarioDeliveries({ seed: 3, count: 12_000, shiftAt: 4_000, recoverAt: 8_000 })];
    expect(streamed).toEqual(scenario.deliveries);
  });

  it('can run without a change point and refuses inconsistent options', () => {
    const flat = generateScenario({ seed: 1, count: 10, shiftAt: null });
    expect(flat.changePointTime).toBeNull();
    expect(() => resolveScenarioOptions({ shiftAt: 10, recoverAt: 5 })).toThrow(/recoverAt/);
    expect(() => resolveScenarioOptions({ eventsPerSecond: 0 })).toThrow(/eventsPerSecond/);
    expect(() => resolveScenarioOptions({ labelDelayMs: [10, 5] })).toThrow(/labelDelayMs/);
  });
});
