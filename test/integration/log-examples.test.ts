// Training examples read back from real Kafka: predictions and labels published with the
// SDK on fresh topics, read by time and joined, with exact counts.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec } from '../../shared/codec/codec.js';
import { readTrainingExamples } from '../../shared/retrain/log-examples.js';
import { DriftwatchClient } from '../../shared/sdk/client.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { kafkaBrokerList, uniqueName } from '../setup/env.js';

describe('readTrainingExamples on Kafka', () => {
  let bus: KafkaBus;
  const topics = topicNames(`${uniqueName('log-examples')}.`);
  const codec = new Codec();
  const H = 60_000;

  beforeAll(async () => {
    bus = await KafkaBus.connect({
      brokers: kafkaBrokerList(),
      logger: pino({ level: 'silent' }),
      consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
    });
    await bus.ensureTopics(topicSpecs(topics, 3).filter((s) => s.topic === topics.predictions || s.topic === topics.labels));
  });
  afterAll(async () => {
    await bus?.close();
  });

  it('joins the window\'s predictions with their labels, whatever else is in the log', async () => {
    const client = new DriftwatchClient({ bus, topics, codec });
    const now = Date.now();
    const from = now - 10 * 60_000;
    const features = (i: number) => ({ x: i, plan: i % 2 ? 'pro' : 'free', mobile: i % 3 === 0, income: i % 5 === 0 ? null : i * 10 });
    const inWindow = Array.from({ length: 120 }, (_, i) => ({
      id: `p${i}`, model: 'churn', modelVersion: '1', time: from + 1_000 + i * 1_000, features: features(i),
      predictedClass: 'yes', probabilities: { yes: 0.7, no: 0.3 },
    }));
    const beforeWindow = Array.from({ length: 10 }, (_, i) => ({ ...inWindow[i]!, id: `old${i}`, time: from - 5_000 }));
    const otherModel = Array.from({ length: 10 }, (_, i) => ({ ...inWindow[i]!, model: 'other' }));
    await client.logPredictions([...beforeWindow, ...inWindow, ...otherModel]);
    // Labels for 100 of the 120, one duplicate, one too late, one for an unknown id, one
    // for an old prediction, and other-model labels.
    const labels = inWindow.slice(0, 100).map((p, i) => ({ predictionId: p.id, model: 'churn', time: p.time + 500, trueClass: i % 4 ? 'no' : 'yes' }));
    await client.logLabels([
      ...labels,
      { predictionId: 'p0', model: 'churn', time: inWindow[0]!.time + 600, trueClass: 'yes' },
      { predictionId: 'p100', model: 'churn', time: inWindow[100]!.time + H + 1, trueClass: 'no' },
      { predictionId: 'ghost', model: 'churn', time: now, trueClass: 'no' },
      { predictionId: 'old0', model: 'churn', time: from - 4_000, trueClass: 'no' },
      ...otherModel.map((p) => ({ predictionId: p.id, model: 'other', time: p.time, trueClass: 'no' })),
    ]);
    // Not a prediction event: skipped and reported, never thrown.
    await bus.publish(topics.predictions, [{ key: 'junk', value: Buffer.from('not avro') }]);

    const dead: string[] = [];
    const read = await readTrainingExamples({
      reader: bus, codec, topics, model: 'churn', fromTime: from, labelHorizonMs: H,
      deadLetter: (_message, error) => void dead.push(error.reason),
    });

    expect(read.examples).toHaveLength(100);
    expect(read.examples.map((e) => e.id)).toEqual(inWindow.slice(0, 100).map((p) => p.id));
    expect(read.examples[0]).toEqual({
      id: 'p0', time: inWindow[0]!.time, model: 'churn', modelVersion: '1',
      features: { x: 0, plan: 'free', mobile: true, income: null },
      predictedClass: 'yes', probabilities: { yes: 0.7, no: 0.3 }, label: 'yes', labelTime: inWindow[0]!.time + 500,
    });
    expect(read.counts).toEqual({
      predictions: 120, duplicatePredictions: 0, labels: 103, joined: 100, unmatchedLabels: 1, duplicateLabels: 1,
      outsideHorizon: 1, unusableLabels: 0, undecodable: 1, outOfWindowPredictions: 10, outOfWindowLabels: 1,
      messages: { predictions: 141, labels: 114 },
    });
    expect(dead).toEqual(['MISSING_SCHEMA_HEADER']);
    expect(read.predictionTimes).toEqual(inWindow.map((p) => p.time));

    // toTime bounds the window on the other side.
    const bounded = await readTrainingExamples({ reader: bus, codec, topics, model: 'churn', fromTime: from, toTime: inWindow[49]!.time, labelHorizonMs: H });
    expect(bounded.examples).toHaveLength(50);
    expect(bounded.counts.predictions).toBe(50);
  });
});
