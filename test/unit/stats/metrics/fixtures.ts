import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

const fixtureDir = new URL('../../../fixtures/metrics/', import.meta.url);

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, fixtureDir), 'utf8')) as T;
}

/** null in a fixture means sklearn found the value undefined; driftwatch reports NaN. */
export function expectMatches(actual: number | undefined, expected: number | null | undefined, what: string): void {
  if (expected === undefined) throw new Error(`fixture lacks ${what}`);
  if (expected === null) {
    expect(actual, what).toBeNaN();
    return;
  }
  expect(actual, what).toBeTypeOf('number');
  const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs sklearn ${expected}`).toBeLessThanOrEqual(tolerance);
}

export interface PrfExpected {
  precision: number;
  recall: number;
  f1: number;
}

export function expectPrf(actual: PrfExpected, expected: PrfExpected | undefined, what: string): void {
  if (!expected) throw new Error(`fixture lacks ${what}`);
  expectMatches(actual.precision, expected.precision, `${what}.precision`);
  expectMatches(actual.recall, expected.recall, `${what}.recall`);
  expectMatches(actual.f1, expected.f1, `${what}.f1`);
}
