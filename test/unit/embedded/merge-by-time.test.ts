import { describe, expect, it } from 'vitest';
import { mergeByTime, MissingEventTimeError } from '../../../services/embedded/merge-by-time.js';
import type { LabelRecord, PredictionRecord } from '../../../shared/sdk/records.js';

const prediction = (id: string, time: number | undefined): PredictionRecord => ({
  id, model: 'm', modelVersion: '1', features: {}, predictedClass: 'a', ...(time !== undefined ? { time } : {}),
});
const label = (id: string, time: number | Date): LabelRecord => ({ predictionId: id, model: 'm', time, trueClass: 'a' });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('mergeByTime', () => {
  it('interleaves two time-ordered streams by event time, a prediction first on a tie', async () => {
    const merged = await collect(
      mergeByTime([prediction('p1', 10), prediction('p2', 20), prediction('p3', 30)], [label('l1', 5), label('l2', new Date(20)), label('l3', 40)]),
    );
    expect(merged.map((d) => `${d.kind[0]}${d.time}`)).toEqual(['l5', 'p10', 'p20', 'l20', 'p30', 'l40']);
  });

  it('keeps each file’s own order when a file is out of order (no sorting)', async () => {
    const merged = await collect(mergeByTime([prediction('p1', 30), prediction('p2', 10)], [label('l1', 20)]));
    expect(merged.map((d) => (d.kind === 'prediction' ? d.record.id : d.record.predictionId))).toEqual(['l1', 'p1', 'p2']);
  });

  it('refuses a record without an event time', async () => {
    await expect(collect(mergeByTime([prediction('p1', 1), prediction('p2', undefined)], []))).rejects.toBeInstanceOf(MissingEventTimeError);
  });

  it('closes both inputs when the consumer stops early', async () => {
    const closed: string[] = [];
    async function* source<T>(name: string, items: T[]): AsyncGenerator<T> {
      try {
        yield* items;
      } finally {
        closed.push(name);
      }
    }
    for await (const delivery of mergeByTime(source('p', [prediction('p1', 1), prediction('p2', 2)]), source('l', [label('l1', 3)]))) {
      expect(delivery.kind).toBe('prediction');
      break;
    }
    expect(closed.sort()).toEqual(['l', 'p']);
  });
});
