import { describe, expect, it } from 'vitest';
import { toLabelEvent, toPredictionEvent } from '../../../shared/sdk/records.js';

describe('toPredictionEvent', () => {
  it('splits mixed features into typed maps and lists missing ones', () => {
    const event = toPredictionEvent(
      {
        id: 'p1',
        model: 'm',
        modelVersion: '2',
        time: new Date(1_000),
        features: { age: 31, plan: 'pro', mobile: false, income: null, score: Number.NaN, note: undefined },
        predictedClass: 'yes',
        probabilities: { yes: 0.8, no: 0.2 },
      },
      () => 99,
    );
    expect(event.numericFeatures).toEqual({ age: 31 });
    expect(event.categoricalFeatures).toEqual({ plan: 'pro' });
    expect(event.booleanFeatures).toEqual({ mobile: false });
    expect(event.missingFeatures).toEqual(['income', 'score', 'note']);
    expect(event.eventTime).toBe(1_000);
    expect(event.predictedValue).toBeNull();
    expect(event.classProbabilities).toEqual({ yes: 0.8, no: 0.2 });
  });

  it('stamps now when no time is given and refuses other feature types', () => {
    expect(toPredictionEvent({ id: 'p', model: 'm', modelVersion: '1', features: {} }, () => 42).eventTime).toBe(42);
    expect(() =>
      toPredictionEvent({ id: 'p', model: 'm', modelVersion: '1', features: { x: {} as unknown as number } }),
    ).toThrow(/feature x: object/);
  });
});

describe('toLabelEvent', () => {
  it('fills absent truths with null', () => {
    expect(toLabelEvent({ predictionId: 'p', model: 'm', trueValue: 3.5, time: 7 })).toEqual({
      predictionId: 'p',
      model: 'm',
      eventTime: 7,
      trueClass: null,
      trueValue: 3.5,
    });
  });
});
