import { describe, expect, it } from 'vitest';
import { encodeRow, encodeRows, inferFeatureSpec } from '../../../shared/learning/feature-spec.js';

describe('feature spec', () => {
  const rows = [
    { b: 'x', a: 1, c: true },
    { b: 'y', a: 3, c: false },
    { b: 'x', a: null, c: null },
    { b: 'z', a: 5, c: true },
  ];

  it('infers columns sorted by name with their statistics', () => {
    const spec = inferFeatureSpec(rows);
    expect(spec.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(spec.columns[0]).toEqual({ kind: 'numeric', name: 'a', mean: 3, std: Math.sqrt(8 / 3) });
    // Most frequent first, ties by name.
    expect(spec.columns[1]).toEqual({ kind: 'categorical', name: 'b', vocabulary: ['x', 'y', 'z'] });
    expect(spec.columns[2]).toEqual({ kind: 'boolean', name: 'c' });
    expect(spec.width).toBe(2 + 4 + 1);
  });

  it('caps the vocabulary and sends the rest to the other slot', () => {
    const spec = inferFeatureSpec(rows, { maxCategories: 1 });
    expect(spec.columns[1]).toEqual({ kind: 'categorical', name: 'b', vocabulary: ['x'] });
    expect([...encodeRow(spec, { a: 3, b: 'y', c: true })]).toEqual([0, 0, 0, 1, 1]);
  });

  it('encodes standardized numbers, missing indicators, one-hot and booleans', () => {
    const spec = inferFeatureSpec(rows);
    const std = Math.sqrt(8 / 3);
    const encoded = encodeRows(spec, [
      { a: 5, b: 'y', c: false },
      { a: null, b: null, c: null },
      { a: 'oops', b: 7, c: true },
      {},
    ]);
    expect(encoded).toHaveLength(4 * 7);
    const row = (i: number) => [...encoded.slice(i * 7, i * 7 + 7)];
    expect(row(0)[0]).toBeCloseTo(2 / std, 6);
    expect(row(0).slice(1)).toEqual([0, 0, 1, 0, 0, 0]);
    // Missing: mean + indicator, no category, boolean half-way.
    expect(row(1)).toEqual([0, 1, 0, 0, 0, 0, 0.5]);
    // A string in a numeric column is missing; a number in a categorical one is its string, here unseen → other.
    expect(row(2)).toEqual([0, 1, 0, 0, 0, 1, 1]);
    expect(row(3)).toEqual([0, 1, 0, 0, 0, 0, 0.5]);
  });

  it('gives a constant column std 1 and ignores key order', () => {
    const spec = inferFeatureSpec([{ k: 2, j: 'a' }, { j: 'a', k: 2 }]);
    expect(spec.columns[1]).toMatchObject({ name: 'k', mean: 2, std: 1 });
    expect([...encodeRow(spec, { k: 4, j: 'a' })]).toEqual([1, 0, 2, 0]);
  });
});
