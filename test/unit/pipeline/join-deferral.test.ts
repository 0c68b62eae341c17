import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { deferralProbe, DEFERRAL_LIMIT_MS } from '../../../shared/pipeline/join-deferral.js';
import { JoinPartitions } from '../../../shared/pipeline/join-partitions.js';

const TOPICS = { predictions: 'p', labels: 'l' };

describe('deferral readiness', () => {
  it('is silent with nothing deferred, gives a detail while events wait, fails past the limit', async () => {
    let clock = 1_000_000;
    let oldest: number | null = null;
    const probe = deferralProbe(() => oldest, DEFERRAL_LIMIT_MS, () => clock);
    await expect(probe()).resolves.toBeUndefined();
    oldest = clock;
    clock += 42_000;
    await expect(probe()).resolves.toBe('new events waiting 42 s for a replay after a rebuild');
    clock = oldest + DEFERRAL_LIMIT_MS + 1_000;
    await expect(probe()).rejects.toThrow(/waited 301 s for the replay .* none of them is counted/);
  });

  it("reads the longest wait over every partition and model from JoinPartitions", () => {
    const partitions = new JoinPartitions<{ offset: number }>(TOPICS, pino({ level: 'silent' }));
    expect(partitions.oldestDeferral).toBeNull();
    const window = { labelHorizonMs: 1_000, latenessMs: 0 };
    const batch = (partition: number) => ({ topic: 'p', partition, lastOffset: 0, highWatermark: 1 });
    const zero = partitions.forBatch({ ...batch(0), messages: [] } as never);
    const one = partitions.forBatch({ ...batch(1), messages: [] } as never);
    zero.model('a', window).deferred.push({ kind: 'predictions', batch: batch(0), items: [{ offset: 0 }], since: 5_000 });
    one.model('b', window).deferred.push({ kind: 'labels', batch: batch(1), items: [{ offset: 3 }], since: 2_000 }, { kind: 'labels', batch: batch(1), items: [{ offset: 4 }], since: 9_000 });
    expect(partitions.oldestDeferral).toBe(2_000);
    one.model('b', window).deferred.length = 0;
    expect(partitions.oldestDeferral).toBe(5_000);
  });

  it('forgets the events of a partition this member no longer owns (a revoked partition would otherwise fail readiness forever)', () => {
    const partitions = new JoinPartitions<{ offset: number }>(TOPICS, pino({ level: 'silent' }));
    const window = { labelHorizonMs: 1_000, latenessMs: 0 };
    const batch = (partition: number) => ({ topic: 'p', partition, lastOffset: 0, highWatermark: 1 });
    for (const [partition, since] of [[0, 5_000], [1, 2_000]] as const) {
      partitions.forBatch({ ...batch(partition), messages: [] } as never).model('a', window).deferred.push({ kind: 'predictions', batch: batch(partition), items: [{ offset: 0 }], since });
    }
    partitions.assigned({ p: [0, 2], l: [0, 2] });
    expect(partitions.oldestDeferral).toBe(5_000);
    expect([...partitions.all()].map((part) => part.partition)).toEqual([0]);
    partitions.assigned({});
    expect(partitions.oldestDeferral).toBeNull();
  });
});
