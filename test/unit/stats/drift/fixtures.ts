// Loads the SciPy-generated drift fixtures (test/fixtures/drift) and decodes the NaN/Infinity strings
// JSON cannot hold.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawValue } from '../../../../shared/stats/drift/index.js';

const dir = fileURLToPath(new URL('../../../fixtures/drift/', import.meta.url));

function decode(value: unknown): unknown {
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

export function loadFixture<T>(name: string): T {
  return decode(JSON.parse(readFileSync(dir + name, 'utf8'))) as T;
}

/** A sample stored either as a plain list or as [[value, count], ...] runs. */
export type SampleSpec = RawValue[] | { repeat: [RawValue, number][] };

export function expandSample(spec: SampleSpec): RawValue[] {
  if (Array.isArray(spec)) return spec;
  const out: RawValue[] = [];
  for (const [value, count] of spec.repeat) for (let i = 0; i < count; i++) out.push(value);
  return out;
}

/** Passes when |actual - expected| ≤ abs or ≤ rel·|expected|; NaN and ±∞ must match exactly. */
export function isClose(actual: number, expected: number, abs: number, rel: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  const diff = Math.abs(actual - expected);
  return diff <= abs || diff <= rel * Math.abs(expected);
}

export function closeMessage(label: string, actual: number, expected: number): string {
  return `${label}: got ${actual}, SciPy ${expected} (diff ${Math.abs(actual - expected)})`;
}
