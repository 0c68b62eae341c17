import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MersenneTwister } from '../../../../shared/stats/random/mersenne-twister.js';

interface Step {
  op: 'random' | 'getRandBits' | 'randBelow' | 'sampleRange';
  arg?: number | [number, number];
  values: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/random/cpython_random.json', import.meta.url), 'utf8'),
) as { python: string; cases: { seed: string; steps: Step[] }[] };

function draw(rng: MersenneTwister, step: Step): number[] {
  switch (step.op) {
    case 'random':
      return step.values.map(() => rng.random());
    case 'getRandBits':
      return step.values.map(() => rng.getRandBits(step.arg as number));
    case 'randBelow':
      return step.values.map(() => rng.randBelow(step.arg as number));
    case 'sampleRange': {
      const [n, k] = step.arg as [number, number];
      const out = new Int32Array(k);
      rng.sampleRange(n, k, out);
      return Array.from(out);
    }
  }
}

describe(`MersenneTwister draws exactly as CPython ${fixture.python} random.Random`, () => {
  for (const c of fixture.cases) {
    it(`seed ${c.seed}`, () => {
      const rng = new MersenneTwister(BigInt(c.seed));
      for (const step of c.steps) {
        expect(draw(rng, step), `${step.op}(${JSON.stringify(step.arg ?? '')})`).toEqual(step.values);
      }
    });
  }

  it('accepts a number seed the same as a bigint seed', () => {
    expect(new MersenneTwister(12345).random()).toBe(new MersenneTwister(12345n).random());
  });

  it('continues identically after its state goes through JSON', () => {
    const rng = new MersenneTwister(99);
    for (let i = 0; i < 700; i++) rng.random();
    const copy = MersenneTwister.fromState(JSON.parse(JSON.stringify(rng.getState())));
    const a = Array.from({ length: 1000 }, () => rng.randBelow(1000));
    const b = Array.from({ length: 1000 }, () => copy.randBelow(1000));
    expect(b).toEqual(a);
  });

  it('samples arrays like random.sample and rejects impossible requests', () => {
    const rng = new MersenneTwister(42);
    const indices = new Int32Array(3);
    new MersenneTwister(42).sampleRange(5, 3, indices);
    expect(rng.sample(['a', 'b', 'c', 'd', 'e'], 3)).toEqual(Array.from(indices, (i) => 'abcde'[i]));
    expect(() => rng.sampleRange(3, 4, new Int32Array(4))).toThrow(RangeError);
    expect(() => rng.randBelow(0)).toThrow(RangeError);
  });
});
