import { describe, expect, it } from 'vitest';
import { timeOrderedSplit } from '../../../shared/learning/split.js';

describe('timeOrderedSplit', () => {
  it('trains on the oldest, validates on the next, tests on the newest', () => {
    const examples = [50, 10, 40, 30, 20, 90, 70, 60, 80, 100].map((time, i) => ({ time, id: i }));
    const split = timeOrderedSplit(examples, { validation: 0.2, test: 0.3 });
    expect(split.train.map((e) => e.time)).toEqual([10, 20, 30, 40, 50]);
    expect(split.validation.map((e) => e.time)).toEqual([60, 70]);
    expect(split.test.map((e) => e.time)).toEqual([80, 90, 100]);
    expect(split.parts).toEqual({ train: { size: 5, from: 10, to: 50 }, validation: { size: 2, from: 60, to: 70 }, test: { size: 3, from: 80, to: 100 } });
  });

  it('keeps input order among equal times', () => {
    const examples = [5, 1, 5, 1, 5].map((time, id) => ({ time, id }));
    const split = timeOrderedSplit(examples, { validation: 0.2, test: 0.2 });
    expect([...split.train, ...split.validation, ...split.test].map((e) => e.id)).toEqual([1, 3, 0, 2, 4]);
  });

  it('refuses a split with an empty part', () => {
    expect(() => timeOrderedSplit([{ time: 1 }, { time: 2 }], { validation: 0.2, test: 0.2 })).toThrow(/validation and test would be empty/);
    expect(() => timeOrderedSplit([{ time: 1 }], { validation: 0.6, test: 0.5 })).toThrow(/nothing to train/);
  });
});
