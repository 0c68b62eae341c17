import { describe, expect, it } from 'vitest';
import type { Label, Prediction } from '../../../shared/codec/events.generated.js';
import { featureRow } from '../../../shared/retrain/feature-row.js';
import { joinExamples } from '../../../shared/retrain/join-examples.js';

const H = 60_000;
const T = 1_700_000_000_000;

function prediction(id: string, time: number, extra: Partial<Prediction> = {}): Prediction {
  return {
    id,
    model: 'm',
    modelVersion: '1',
    eventTime: time,
    numericFeatures: { x: 1.5 },
    categoricalFeatures: { plan: 'pro' },
    booleanFeatures: { mobile: true },
    missingFeatures: ['income'],
    predictedClass: 'yes',
    predictedValue: null,
    classProbabilities: { yes: 0.8, no: 0.2 },
    segments: {},
    ...extra,
  };
}

function label(predictionId: string, time: number, trueClass: string | null = 'no', model = 'm'): Label {
  return { predictionId, model, eventTime: time, trueClass, trueValue: null };
}

const join = (p: Prediction[], l: Label[]) => joinExamples(p, l, { model: 'm', labelHorizonMs: H });

describe('featureRow', () => {
  it('turns the typed maps back into one plain row, missing as null', () => {
    expect(featureRow(prediction('a', T))).toEqual({ x: 1.5, plan: 'pro', mobile: true, income: null });
  });

  it('lets a value win over "missing" for a name in two maps', () => {
    expect(featureRow({ numericFeatures: { a: 1 }, categoricalFeatures: {}, booleanFeatures: {}, missingFeatures: ['a'] })).toEqual({ a: 1 });
  });
});

describe('joinExamples', () => {
  it('joins by prediction id into examples sorted by prediction time', () => {
    const { examples, counts } = join(
      [prediction('b', T + 10), prediction('a', T)],
      [label('a', T + 5, 'no'), label('b', T + 20, 'yes')],
    );
    expect(examples.map((e) => e.id)).toEqual(['a', 'b']);
    expect(examples[0]).toEqual({
      id: 'a',
      time: T,
      model: 'm',
      modelVersion: '1',
      features: { x: 1.5, plan: 'pro', mobile: true, income: null },
      predictedClass: 'yes',
      probabilities: { yes: 0.8, no: 0.2 },
      label: 'no',
      labelTime: T + 5,
    });
    expect(counts).toEqual({
      predictions: 2, duplicatePredictions: 0, labels: 2, joined: 2,
      unmatchedLabels: 0, duplicateLabels: 0, outsideHorizon: 0, unusableLabels: 0,
    });
  });

  it('lets the first label by offset win and counts the rest as duplicates', () => {
    const { examples, counts } = join([prediction('a', T)], [label('a', T + 1, 'first'), label('a', T + 2, 'second')]);
    expect(examples.map((e) => e.label)).toEqual(['first']);
    expect(counts.duplicateLabels).toBe(1);
  });

  it('keeps the first prediction of an id and counts later ones as duplicates', () => {
    const { examples, counts } = join(
      [prediction('a', T, { modelVersion: '1' }), prediction('a', T + 1, { modelVersion: '2' })],
      [label('a', T + 5)],
    );
    expect(examples.map((e) => e.modelVersion)).toEqual(['1']);
    expect(counts).toMatchObject({ predictions: 2, duplicatePredictions: 1, joined: 1 });
  });

  it('joins within the label horizon on either side of the label time, bounds included', () => {
    const { examples, counts } = join(
      [prediction('before', T - H), prediction('after', T + H), prediction('late', T - H - 1), prediction('early', T + H + 1)],
      [label('before', T), label('after', T), label('late', T), label('early', T)],
    );
    expect(examples.map((e) => e.id).sort()).toEqual(['after', 'before']);
    expect(counts.outsideHorizon).toBe(2);
  });

  it('lets a first label outside the horizon use up the id, as the Redis join of earlier releases did', () => {
    const { examples, counts } = join([prediction('a', T)], [label('a', T + H + 1, 'late'), label('a', T + 1, 'in time')]);
    expect(examples).toEqual([]);
    expect(counts).toMatchObject({ outsideHorizon: 1, duplicateLabels: 1, joined: 0 });
  });

  it('skips a label without a class without using up the id', () => {
    const { examples, counts } = join([prediction('a', T)], [label('a', T + 1, null), label('a', T + 2, 'yes')]);
    expect(examples.map((e) => e.label)).toEqual(['yes']);
    expect(counts).toMatchObject({ unusableLabels: 1, duplicateLabels: 0, joined: 1 });
  });

  it('keeps only the model asked for and counts labels without a prediction', () => {
    const { examples, counts } = join(
      [prediction('a', T), prediction('o', T, { model: 'other' })],
      [label('a', T + 1), label('o', T + 1, 'no', 'other'), label('ghost', T + 1)],
    );
    expect(examples.map((e) => e.id)).toEqual(['a']);
    expect(counts).toMatchObject({ predictions: 1, labels: 2, joined: 1, unmatchedLabels: 1 });
  });

  it('gives the same result whatever the interleaving of partitions and topics', () => {
    // Per id, offset order is kept (one partition); across ids any order is legal.
    const predictions = Array.from({ length: 40 }, (_, i) => prediction(`p${i % 30}`, T + i * 1000, { modelVersion: String(i) }));
    const labels = Array.from({ length: 50 }, (_, i) => label(`p${i % 35}`, T + (i % 30) * 1000 + 500, `c${i}`));
    const reference = join(predictions, labels);
    const shuffleKeepingIdOrder = <T>(items: T[], idOf: (item: T) => string, seed: number): T[] => {
      const queues = new Map<string, T[]>();
      for (const item of items) (queues.get(idOf(item)) ?? queues.set(idOf(item), []).get(idOf(item))!).push(item);
      const out: T[] = [];
      let s = seed;
      const ids = [...queues.keys()];
      while (out.length < items.length) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        const open = ids.filter((id) => queues.get(id)!.length > 0);
        out.push(queues.get(open[s % open.length]!)!.shift()!);
      }
      return out;
    };
    for (let seed = 1; seed <= 5; seed++) {
      const shuffled = join(
        shuffleKeepingIdOrder(predictions, (p) => p.id, seed),
        shuffleKeepingIdOrder(labels, (l) => l.predictionId, seed * 7),
      );
      expect(shuffled).toEqual(reference);
    }
    expect(reference.counts).toMatchObject({ predictions: 40, duplicatePredictions: 10, labels: 50, duplicateLabels: 15, unmatchedLabels: 5 });
  });
});
