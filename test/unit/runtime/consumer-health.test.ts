import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../shared/bus/types.js';
import { ConsumerHealth } from '../../../shared/runtime/consumer-health.js';

const batch: Batch = {
  topic: 't',
  partition: 3,
  messages: [{ topic: 't', partition: 3, offset: 41, key: null, value: null, headers: {}, timestamp: 0 }],
  lastOffset: 41,
  highWatermark: 42,
};

function fixture(stuckAfterMs = 1_000) {
  let now = 1_000_000;
  const fatal: Error[] = [];
  const health = new ConsumerHealth({ group: 'g', stuckAfterMs, now: () => now, onFatal: (error) => fatal.push(error) });
  return { health, fatal, advance: (ms: number) => (now += ms) };
}

describe('ConsumerHealth', () => {
  it('is healthy while idle, however long nothing arrives', () => {
    const { health, advance } = fixture();
    advance(3_600_000);
    expect(health.problem()).toBeUndefined();
  });

  it('reports a batch in the handler longer than the limit as stuck, naming it, and recovers when it finishes', async () => {
    const { health, advance } = fixture();
    let release!: () => void;
    const running = health.track(batch, () => new Promise<void>((resolve) => (release = resolve)));
    advance(1_000);
    expect(health.problem()).toBeUndefined();
    advance(1_500);
    expect(health.problem()).toMatch(/^stuck: group g has been handling t\/3 from offset 41 for 3 s .*DW_STUCK_AFTER_MS/);
    release();
    await running;
    expect(health.problem()).toBeUndefined();
  });

  it('with partitions consumed concurrently, reports the stuck partition while others keep finishing batches', async () => {
    const { health, advance } = fixture();
    let release!: () => void;
    const stuck = health.track(batch, () => new Promise<void>((resolve) => (release = resolve)));
    const other: Batch = { ...batch, partition: 4, messages: [{ ...batch.messages[0]!, partition: 4, offset: 7 }], lastOffset: 7 };
    for (let i = 0; i < 5; i++) {
      advance(500);
      await health.track(other, async () => {});
    }
    expect(health.problem()).toMatch(/^stuck: group g has been handling t\/3 from offset 41 for 3 s/);
    release();
    await stuck;
    expect(health.problem()).toBeUndefined();
  });

  it('counts a failed batch as finished (the next attempt starts a new clock) and passes the error on', async () => {
    const { health, advance } = fixture();
    const failing = health.track(batch, async () => {
      advance(5_000);
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(health.problem()).toBeUndefined();
  });

  it('is not ready while kafkajs restarts a crashed consumer, and ready again once it rejoined', () => {
    const { health, fatal } = fixture();
    health.onStatus({ state: 'restarting', error: new Error('KafkaJSNumberOfRetriesExceeded') });
    expect(health.problem()).toMatch(/crashed and is restarting: KafkaJSNumberOfRetriesExceeded/);
    health.onStatus({ state: 'running' });
    expect(health.problem()).toBeUndefined();
    expect(fatal).toEqual([]);
  });

  it('reports a crash without restart as fatal, once, and stays not ready', () => {
    const { health, fatal } = fixture();
    const error = new Error('SASL authentication failed');
    health.onStatus({ state: 'failed', error });
    health.onStatus({ state: 'failed', error });
    expect(fatal).toEqual([error]);
    expect(health.problem()).toMatch(/crashed and will not restart: SASL authentication failed/);
  });
});
