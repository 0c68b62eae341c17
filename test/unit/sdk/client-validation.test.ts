// The SDK refuses issue 9's poison records before sending anything, with a RecordError that
// names the record and the reason.
import { describe, expect, it } from 'vitest';
import type { EventBus, OutgoingMessage } from '../../../shared/bus/types.js';
import { Codec } from '../../../shared/codec/index.js';
import { DriftwatchClient, RecordError } from '../../../shared/sdk/client.js';
import type { LabelRecord, PredictionRecord } from '../../../shared/sdk/records.js';

const NOW = Date.UTC(2026, 11, 1);

function client(): { client: DriftwatchClient; sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  const bus = { publish: async (_topic: string, messages: OutgoingMessage[]) => void sent.push(...messages) } as unknown as EventBus;
  return { client: new DriftwatchClient({ bus, codec: new Codec({ validation: { now: () => NOW } }) }), sent };
}

const good: PredictionRecord = {
  id: 'p-1', model: 'churn', modelVersion: '3', time: NOW - 1_000,
  features: { tenure: 14, plan: 'pro' }, predictedClass: 'yes', probabilities: { yes: 0.81, no: 0.19 },
};
const goodLabel: LabelRecord = { predictionId: 'p-1', model: 'churn', time: NOW, trueClass: 'no' };

describe('DriftwatchClient validation', () => {
  it.each([
    ['a negative time', { ...good, time: -5000 }, /record 1: INVALID: prediction: eventTime -5000 is before 1970/],
    ['a time in 2034', { ...good, time: new Date(Date.UTC(2034, 0, 1)) }, /record 1: INVALID: .*2034-01-01.* ahead of the clock/],
    ['the model evil{x}', { ...good, model: 'evil{x}' }, /record 1: INVALID: .*invalid model name "evil\{x\}"/],
    ['a feature of 1e200', { ...good, features: { spend: 1e200 } }, /record 1: INVALID: .*numeric feature "spend" 1e\+200/],
    ['a probability of 1.15', { ...good, probabilities: { yes: 1.15, no: 0 } }, /record 1: INVALID: .*"yes" 1.15 is outside \[0, 1\]/],
    ['an infinite feature', { ...good, features: { spend: Infinity } }, /record 1: NON_FINITE/],
  ])('refuses a prediction with %s, sending nothing', async (_what, record, message) => {
    const { client: c, sent } = client();
    const error = await c.logPredictions([good, record as PredictionRecord]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordError);
    expect((error as RecordError).index).toBe(1);
    expect((error as Error).message).toMatch(message);
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['a time of -1', { ...goodLabel, time: -1 }, /eventTime -1 is before 1970/],
    ['a time in 2034', { ...goodLabel, time: Date.UTC(2034, 0, 1) }, /ahead of the clock/],
    ['the model evil{x}', { ...goodLabel, model: 'evil{x}' }, /invalid model name/],
  ])('refuses a label with %s', async (_what, record, message) => {
    const { client: c, sent } = client();
    const error = await c.logLabels([record as LabelRecord]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordError);
    expect((error as Error).message).toMatch(message);
    expect(sent).toHaveLength(0);
  });

  it('sends valid records', async () => {
    const { client: c, sent } = client();
    await c.logPredictions([good]);
    await c.logLabels([goodLabel]);
    expect(sent).toHaveLength(2);
  });
});
