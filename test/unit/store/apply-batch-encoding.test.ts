import { describe, expect, it } from 'vitest';
import { normaliseBatch, offsetField } from '../../../shared/store/batch-request.js';
import { InvalidBatchError } from '../../../shared/store/errors.js';
import { encodeApplyBatch } from '../../../shared/store/redis-store.js';

const source = { group: 'g|1', topic: 'dw.labels', partition: 4, offset: 99 };

describe('offsetField', () => {
  it('joins group, topic and partition', () => {
    expect(offsetField(source)).toBe('g|1|dw.labels|4');
  });
  it('refuses a topic that could make two sources collide', () => {
    expect(() => offsetField({ ...source, topic: 'a|b' })).toThrow(InvalidBatchError);
  });
});

describe('encodeApplyBatch', () => {
  it('lists each touched hash once and its deltas in batch order with round-trip numbers', () => {
    const batch = normaliseBatch({
      model: 'churn',
      source,
      ttlSeconds: 0.25,
      deltas: [
        { key: 'b:1', field: 'x', by: 1 },
        { key: 'b:2', field: 'y', by: 0.1 },
        { key: 'b:1', field: 'x', by: 1 / 3 },
        { key: 'b:1', field: 'z', by: -2e-20 },
      ],
    });
    const { keys, args } = encodeApplyBatch('churn', batch);
    expect(keys).toEqual(['dw:{churn}:offsets', 'dw:{churn}:b:1', 'dw:{churn}:b:2']);
    expect(args).toEqual(['g|1|dw.labels|4', '99', '-1', '250', '3', 'x', '1', 'x', String(1 / 3), 'z', '-2e-20', '1', 'y', '0.1']);
    // Every increment string parses back to the identical double.
    expect(Number(args[8])).toBe(1 / 3);
  });

  it('sends the first offset when the caller gives one, and refuses one past the last offset', () => {
    const { args } = encodeApplyBatch('m', normaliseBatch({ model: 'm', source: { ...source, firstOffset: 90 }, deltas: [] }));
    expect(args.slice(0, 4)).toEqual(['g|1|dw.labels|4', '99', '90', '0']);
    expect(() => normaliseBatch({ model: 'm', source: { ...source, firstOffset: 100 }, deltas: [] })).toThrow(InvalidBatchError);
  });

  it('sends no TTL as 0 and rounds sub-millisecond TTLs up to 1 ms', () => {
    expect(normaliseBatch({ model: 'm', source, deltas: [] }).ttlMs).toBe(0);
    expect(normaliseBatch({ model: 'm', source, deltas: [], ttlSeconds: 0.0001 }).ttlMs).toBe(1);
  });
});
