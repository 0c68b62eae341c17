import { describe, expect, it } from 'vitest';
import type { Batch, BusMessage } from '../../../shared/bus/types.js';
import { createServiceMetrics, recordHandledBatch } from '../../../shared/runtime/metrics.js';

function batch(topic: string, partition: number, offsets: number[], highWatermark?: number): Batch {
  const messages = offsets.map(
    (offset): BusMessage => ({ topic, partition, offset, key: null, value: null, headers: {}, timestamp: 0 }),
  );
  return { topic, partition, messages, lastOffset: offsets.at(-1)!, ...(highWatermark === undefined ? {} : { highWatermark }) };
}

describe('service metrics', () => {
  it('registers the driftwatch metrics and process metrics on a registry of its own', async () => {
    const metrics = createServiceMetrics('drift');
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'driftwatch_events_consumed_total',
        'driftwatch_consumer_lag',
        'driftwatch_dlq_total',
        'driftwatch_window_update_seconds',
        'driftwatch_alerts_total',
        'driftwatch_redis_calls_total',
        'driftwatch_batch_events',
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
      ]),
    );
  });

  it('lets two services live in one process, each labelled with its own name', async () => {
    const perf = createServiceMetrics('performance', { processMetrics: false });
    const drift = createServiceMetrics('drift', { processMetrics: false });
    perf.deadLetters.inc({ reason: 'MALFORMED' }, 3);
    drift.alerts.inc({ kind: 'DATA_DRIFT', status: 'FIRING' });
    const perfText = await perf.registry.metrics();
    const driftText = await drift.registry.metrics();
    expect(perfText).toContain('driftwatch_dlq_total{reason="MALFORMED",service="performance"} 3');
    expect(perfText).not.toContain('driftwatch_alerts_total{');
    expect(driftText).toContain('driftwatch_alerts_total{kind="DATA_DRIFT",status="FIRING",service="drift"} 1');
    expect(driftText).not.toContain('driftwatch_dlq_total{');
  });

  it('records consumed events, batch sizes and the lag behind the high watermark', async () => {
    const metrics = createServiceMetrics('drift', { processMetrics: false });
    recordHandledBatch(metrics, batch('dw.predictions', 2, [10, 11, 12], 20));
    recordHandledBatch(metrics, batch('dw.predictions', 2, [13, 14], 20));
    recordHandledBatch(metrics, batch('dw.labels', 0, [5]));

    const consumed = (await metrics.eventsConsumed.get()).values.map((v) => [v.labels.topic, v.value]);
    expect(Object.fromEntries(consumed)).toEqual({ 'dw.predictions': 5, 'dw.labels': 1 });
    const lag = (await metrics.consumerLag.get()).values;
    // 20 is the next offset to be written; offsets 15..19 are still to consume.
    expect(lag).toEqual([expect.objectContaining({ labels: { topic: 'dw.predictions', partition: '2' }, value: 5 })]);
    const sizes = (await metrics.batchEvents.get()).values;
    expect(sizes.find((v) => v.metricName === 'driftwatch_batch_events_sum')?.value).toBe(6);
    expect(sizes.find((v) => v.metricName === 'driftwatch_batch_events_count')?.value).toBe(3);
  });
});
