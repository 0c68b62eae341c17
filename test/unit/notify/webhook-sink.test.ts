import { describe, expect, it } from 'vitest';
import { webhookRequest } from '../../../shared/notify/webhook-sink.js';
import { sampleAlert } from './sample-alert.js';

describe('webhook request', () => {
  it('posts the alert itself, every field of the schema, with the alert id as idempotency key', () => {
    const alert = sampleAlert();
    const request = webhookRequest(alert);
    expect(JSON.parse(JSON.stringify(request.body))).toEqual({
      id: 'a-1',
      key: 'churn|3|DATA_DRIFT|psi|tenure',
      model: 'churn',
      modelVersion: '3',
      kind: 'DATA_DRIFT',
      status: 'FIRING',
      severity: 'WARNING',
      metric: 'psi',
      feature: 'tenure',
      value: 0.31,
      threshold: 0.1,
      window: { start: 1_700_000_000_000, end: 1_700_000_300_000, count: 42 },
      detector: null,
      message: 'tenure drifted',
      time: 1_700_000_300_500,
      details: { reference: 'v3-training' },
    });
    expect(request.headers).toEqual({ 'idempotency-key': 'a-1' });
  });
});
