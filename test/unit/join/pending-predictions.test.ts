import { describe, expect, it } from 'vitest';
import { hashId } from '../../../shared/join/id-hash.js';
import { NO_PREDICTION, PendingPredictions } from '../../../shared/join/pending-predictions.js';

function hashOf(id: string): [number, number] {
  const out = hashId(id, new Int32Array(2));
  return [out[0]!, out[1]!];
}

function add(table: PendingPredictions, id: string, offset: number): number {
  const [hi, lo] = hashOf(id);
  return table.add(hi, lo, { offset, eventTime: offset * 10, version: offset % 7, predictedClass: offset % 3, predictedValue: offset / 2, probabilities: offset % 5 === 0 ? { a: 0.5, b: 0.5 } : null });
}

/** Offsets of the entries with this id, oldest first. */
function chain(table: PendingPredictions, id: string): number[] {
  const [hi, lo] = hashOf(id);
  const offsets: number[] = [];
  for (let slot = table.oldest(hi, lo); slot !== NO_PREDICTION; slot = table.next(slot)) offsets.push(table.offset(slot));
  return offsets;
}

describe('PendingPredictions', () => {
  it('keeps every entry, its fields, its id chain and the ring order when it grows from a wrapped ring', () => {
    const table = new PendingPredictions(8);
    // Fill, drop some from the head and refill, so the ring wraps before each growth.
    let next = 0;
    const live: number[] = [];
    const idOf = (offset: number): string => `id-${offset % 13}`;
    for (let round = 0; round < 6; round++) {
      for (let k = 0; k < 20 * (round + 1); k++) {
        add(table, idOf(next), next);
        live.push(next++);
      }
      for (let k = 0; k < 5 * (round + 1); k++) {
        table.dropHead();
        live.shift();
      }
    }
    expect(table.size).toBe(live.length);
    expect([...table.slots()].map((slot) => table.offset(slot))).toEqual(live);
    for (const slot of table.slots()) {
      const offset = table.offset(slot);
      expect([table.eventTime(slot), table.version(slot), table.predictedClass(slot), table.predictedValue(slot)]).toEqual([offset * 10, offset % 7, offset % 3, offset / 2]);
      expect(table.probabilityMap(slot)).toEqual(offset % 5 === 0 ? { a: 0.5, b: 0.5 } : null);
    }
    for (let id = 0; id < 13; id++) expect(chain(table, `id-${id}`)).toEqual(live.filter((o) => o % 13 === id));
    expect(chain(table, 'never-added')).toEqual([]);
  });

  it('keeps a joined mark across growth', () => {
    const table = new PendingPredictions(8);
    const marked = add(table, 'x', 0);
    table.markJoined(marked);
    for (let offset = 1; offset < 100; offset++) add(table, `y${offset}`, offset);
    const [hi, lo] = hashOf('x');
    expect(table.joined(table.oldest(hi, lo))).toBe(true);
    expect(table.joined(table.oldest(...hashOf('y50')))).toBe(false);
  });
});
