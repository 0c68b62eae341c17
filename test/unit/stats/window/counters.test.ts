import { describe, expect, it } from 'vitest';
import { addCounters, isFloatCounter, joinField, splitField } from '../../../../shared/stats/window/index.js';

describe('counter fields', () => {
  const awkward = ['', '|', '%', '%7C', '%25', 'a|b|c', '100%|x', 'é/ü', '\\'];

  it('round-trips any segments, separators and escapes included', () => {
    for (const a of awkward) for (const b of awkward) expect(splitField(joinField('c', a, b))).toEqual(['c', a, b]);
  });

  it('never maps two different segment lists to one field', () => {
    const fields = new Set<string>();
    for (const a of awkward) for (const b of awkward) fields.add(joinField('c', a, b));
    expect(fields.size).toBe(awkward.length * awkward.length);
  });

  it('leaves plain labels readable', () => {
    expect(joinField('c', 'cat', 'dog')).toBe('c|cat|dog');
  });

  it('adds and removes deltas field by field, accepting the strings Redis returns', () => {
    const total = addCounters({}, { a: 2, '~s': '0.5' });
    addCounters(total, { a: '3', b: 1 });
    expect(total).toEqual({ a: 5, '~s': 0.5, b: 1 });
    addCounters(total, { a: 5, b: 1 }, -1);
    expect(total).toEqual({ a: 0, '~s': 0.5, b: 0 });
    expect(() => addCounters(total, { a: 'x' })).toThrow(RangeError);
  });

  it('marks real-valued sums by their prefix', () => {
    expect(isFloatCounter('~ll')).toBe(true);
    expect(isFloatCounter('c|~|x')).toBe(false);
  });
});
