import { describe, expect, it } from 'vitest';
import { createPrng } from '../../../shared/sim/prng.js';
import {
  AGRAWAL_CLASSES,
  CONCEPT_KINDS,
  SEA_THRESHOLDS,
  agrawalLabel,
  createConcept,
  hyperplaneLabel,
  hyperplaneWeights,
  seaLabel,
  type AgrawalAttributes,
  type Concept,
  type ConceptSpec,
  type LabelledRow,
} from '../../../shared/sim/concepts/index.js';

function draw(concept: Concept, n: number, seed = 1): LabelledRow[] {
  const rng = createPrng(seed);
  return Array.from({ length: n }, () => concept.sample(rng));
}

const share = (rows: LabelledRow[], label: string): number => rows.filter((r) => r.label === label).length / rows.length;
const num = (row: LabelledRow, name: string): number => row.features[name] as number;

describe('registry', () => {
  it('knows sea, hyperplane and agrawal and refuses unknown kinds and bad options', () => {
    expect(CONCEPT_KINDS).toEqual(expect.arrayContaining(['sea', 'hyperplane', 'agrawal']));
    expect(() => createConcept({ kind: 'nope' } as unknown as ConceptSpec)).toThrow(/unknown concept kind "nope"/);
    expect(() => createConcept({ kind: 'sea', variant: 4 })).toThrow(RangeError);
    expect(() => createConcept({ kind: 'agrawal', variant: 11 })).toThrow(RangeError);
    expect(() => createConcept({ kind: 'hyperplane', features: 0 })).toThrow(RangeError);
    expect(() => createConcept({ kind: 'sea', noise: 1.5 })).toThrow(RangeError);
  });

  it('types each kind\'s options (checked by tsc)', () => {
    // @ts-expect-error `features` is a hyperplane option, not a SEA one
    const wrong: ConceptSpec = { kind: 'sea', features: 3 };
    const right: ConceptSpec = { kind: 'hyperplane', variant: 1, features: 3, seed: 2, noise: 0.05 };
    expect(wrong.kind).toBe('sea');
    expect(createConcept(right).name).toBe('hyperplane(variant=1, features=3) + noise 0.05');
  });

  it('every sample carries one of the concept\'s classes', () => {
    const specs: ConceptSpec[] = [{ kind: 'sea' }, { kind: 'hyperplane', features: 4 }, { kind: 'agrawal', variant: 7 }];
    for (const spec of specs) {
      const concept = createConcept(spec);
      for (const row of draw(concept, 500)) expect(concept.classes).toContain(row.label);
    }
  });
});

describe('sea', () => {
  it.each([0, 1, 2, 3])('variant %i labels by x1 + x2 <= its threshold', (variant) => {
    const threshold = SEA_THRESHOLDS[variant]!;
    const concept = createConcept({ kind: 'sea', variant });
    const rows = draw(concept, 3000, 10 + variant);
    for (const row of rows) {
      expect(Object.keys(row.features).sort()).toEqual(['x1', 'x2', 'x3']);
      for (const v of Object.values(row.features)) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(10);
      }
      expect(row.label).toBe(num(row, 'x1') + num(row, 'x2') <= threshold ? '1' : '0');
    }
    // P(x1 + x2 <= θ) for θ <= 10 is θ² / 200.
    expect(share(rows, '1')).toBeCloseTo((threshold * threshold) / 200, 1);
  });

  it('seaLabel is inclusive at the threshold', () => {
    expect(seaLabel(4, 4, 8)).toBe('1');
    expect(seaLabel(4, 4.0001, 8)).toBe('0');
  });

  it('label noise flips about the requested share', () => {
    const rows = draw(createConcept({ kind: 'sea', variant: 0, noise: 0.1 }), 5000, 3);
    const flipped = rows.filter((r) => r.label !== seaLabel(num(r, 'x1'), num(r, 'x2'), 8)).length / rows.length;
    expect(flipped).toBeGreaterThan(0.08);
    expect(flipped).toBeLessThan(0.12);
  });
});

describe('hyperplane', () => {
  const x = (row: LabelledRow, d: number): number[] => Array.from({ length: d }, (_, i) => num(row, `x${i + 1}`));

  it('labels by the side of w·x = ½Σw with the seeded weights, classes about 50/50', () => {
    for (const seed of [1, 2, 3]) {
      const concept = createConcept({ kind: 'hyperplane', variant: 0, features: 10, seed });
      const weights = hyperplaneWeights(seed, 0, 10);
      const rows = draw(concept, 4000, seed);
      const wrong = rows.filter((row) => row.label !== hyperplaneLabel(weights, x(row, 10)));
      expect(wrong).toEqual([]);
      const outside = rows.flatMap((row) => x(row, 10)).filter((v) => !(v >= 0 && v < 1));
      expect(outside).toEqual([]);
      const positive = share(rows, '1');
      expect(positive).toBeGreaterThan(0.45);
      expect(positive).toBeLessThan(0.55);
    }
  });

  it('the rotated variant has other weights and relabels a good share of the same points', () => {
    expect(hyperplaneWeights(5, 1, 10)).not.toEqual(hyperplaneWeights(5, 0, 10));
    expect(hyperplaneWeights(5, 0, 10)).toEqual(hyperplaneWeights(5, 0, 10));
    const a = createConcept({ kind: 'hyperplane', variant: 0, features: 10, seed: 5 });
    const b = createConcept({ kind: 'hyperplane', variant: 1, features: 10, seed: 5 });
    const rowsA = draw(a, 4000, 9);
    const rowsB = draw(b, 4000, 9); // same generator seed: the same points
    expect(rowsB.map((r) => r.features)).toEqual(rowsA.map((r) => r.features));
    const disagree = rowsA.filter((r, i) => r.label !== rowsB[i]!.label).length / rowsA.length;
    expect(disagree).toBeGreaterThan(0.1);
    expect(share(rowsB, '1')).toBeGreaterThan(0.45);
    expect(share(rowsB, '1')).toBeLessThan(0.55);
  });

  it('takes explicit weights', () => {
    const concept = createConcept({ kind: 'hyperplane', weights: [1, 0] });
    for (const row of draw(concept, 200)) expect(row.label).toBe(num(row, 'x1') >= 0.5 ? '1' : '0');
  });
});

describe('agrawal', () => {
  const base: AgrawalAttributes = {
    salary: 60_000,
    commission: 20_000,
    age: 30,
    elevel: 0,
    car: 3,
    zipcode: 4,
    hvalue: 300_000,
    hyears: 10,
    loan: 150_000,
  };
  const label = (fn: number, changes: Partial<AgrawalAttributes>): string => agrawalLabel(fn, { ...base, ...changes });

  it('function 1: group A is under 40 or 60 and over', () => {
    expect(label(1, { age: 25 })).toBe('A');
    expect(label(1, { age: 39 })).toBe('A');
    expect(label(1, { age: 40 })).toBe('B');
    expect(label(1, { age: 59 })).toBe('B');
    expect(label(1, { age: 60 })).toBe('A');
  });

  it('function 2: salary range per age band', () => {
    expect(label(2, { age: 30, salary: 60_000 })).toBe('A');
    expect(label(2, { age: 30, salary: 110_000 })).toBe('B');
    expect(label(2, { age: 50, salary: 120_000 })).toBe('A');
    expect(label(2, { age: 50, salary: 60_000 })).toBe('B');
    expect(label(2, { age: 70, salary: 30_000 })).toBe('A');
    expect(label(2, { age: 70, salary: 80_000 })).toBe('B');
  });

  it('function 3: education level per age band', () => {
    expect(label(3, { age: 30, elevel: 1 })).toBe('A');
    expect(label(3, { age: 30, elevel: 2 })).toBe('B');
    expect(label(3, { age: 45, elevel: 3 })).toBe('A');
    expect(label(3, { age: 45, elevel: 0 })).toBe('B');
    expect(label(3, { age: 65, elevel: 4 })).toBe('A');
    expect(label(3, { age: 65, elevel: 1 })).toBe('B');
  });

  it('function 4: salary range per age band and education', () => {
    expect(label(4, { age: 30, elevel: 0, salary: 30_000 })).toBe('A');
    expect(label(4, { age: 30, elevel: 3, salary: 30_000 })).toBe('B');
    expect(label(4, { age: 30, elevel: 3, salary: 90_000 })).toBe('A');
    expect(label(4, { age: 50, elevel: 2, salary: 60_000 })).toBe('A');
    expect(label(4, { age: 50, elevel: 0, salary: 60_000 })).toBe('B');
    expect(label(4, { age: 70, elevel: 1, salary: 30_000 })).toBe('A');
  });

  it('function 5: loan range per age band and salary range', () => {
    expect(label(5, { age: 30, salary: 60_000, loan: 150_000 })).toBe('A');
    expect(label(5, { age: 30, salary: 60_000, loan: 350_000 })).toBe('B');
    expect(label(5, { age: 30, salary: 120_000, loan: 350_000 })).toBe('A');
    expect(label(5, { age: 30, salary: 120_000, loan: 150_000 })).toBe('B');
    expect(label(5, { age: 50, salary: 100_000, loan: 250_000 })).toBe('A');
    expect(label(5, { age: 50, salary: 30_000, loan: 450_000 })).toBe('A');
    expect(label(5, { age: 50, salary: 30_000, loan: 250_000 })).toBe('B');
    expect(label(5, { age: 70, salary: 50_000, loan: 400_000 })).toBe('A');
    expect(label(5, { age: 70, salary: 140_000, loan: 200_000 })).toBe('A');
    expect(label(5, { age: 70, salary: 140_000, loan: 400_000 })).toBe('B');
  });

  it('function 6: salary plus commission per age band', () => {
    expect(label(6, { age: 30, salary: 40_000, commission: 20_000 })).toBe('A');
    expect(label(6, { age: 30, salary: 40_000, commission: 0 })).toBe('B');
  });

  it('functions 7 to 10: disposable income', () => {
    expect(label(7, { salary: 60_000, commission: 30_000, loan: 100_000 })).toBe('A'); // 60k − 20k − 20k
    expect(label(7, { salary: 60_000, commission: 30_000, loan: 250_000 })).toBe('B'); // 60k − 50k − 20k
    expect(label(8, { salary: 90_000, commission: 0, elevel: 4 })).toBe('A'); // 60k − 20k − 20k
    expect(label(8, { salary: 45_000, commission: 0, elevel: 2 })).toBe('B'); // 30k − 10k − 20k = 0
    expect(label(9, { salary: 90_000, commission: 0, elevel: 2, loan: 100_000 })).toBe('A');
    expect(label(9, { salary: 90_000, commission: 0, elevel: 2, loan: 300_000 })).toBe('B');
    expect(label(10, { salary: 30_000, commission: 0, elevel: 4, hyears: 10 })).toBe('B'); // 20k − 20k − 10k
    expect(label(10, { salary: 30_000, commission: 0, elevel: 4, hyears: 30, hvalue: 500_000 })).toBe('A'); // + 0.2·500k
  });

  it('draws the nine attributes in their documented ranges, categoricals as strings', () => {
    const rows = draw(createConcept({ kind: 'agrawal', variant: 2 }), 3000, 4);
    for (const { features: f, label: l } of rows) {
      expect(Object.keys(f).sort()).toEqual(['age', 'car', 'commission', 'elevel', 'hvalue', 'hyears', 'loan', 'salary', 'zipcode']);
      const salary = f.salary as number;
      expect(salary).toBeGreaterThanOrEqual(20_000);
      expect(salary).toBeLessThan(150_000);
      if (salary >= 75_000) expect(f.commission).toBe(0);
      else expect(f.commission).toBeGreaterThanOrEqual(10_000);
      expect(Number.isInteger(f.age) && (f.age as number) >= 20 && (f.age as number) <= 80).toBe(true);
      expect(['0', '1', '2', '3', '4']).toContain(f.elevel);
      expect(Number(f.car)).toBeGreaterThanOrEqual(1);
      expect(Number(f.car)).toBeLessThanOrEqual(20);
      expect(typeof f.zipcode).toBe('string');
      const k = 9 - Number(f.zipcode);
      expect(f.hvalue as number).toBeGreaterThanOrEqual(50_000 * k);
      expect(f.hvalue as number).toBeLessThan(150_000 * k);
      expect(f.loan as number).toBeLessThan(500_000);
      expect(AGRAWAL_CLASSES).toContain(l);
      // The label follows the function from the features (no perturbation here).
      const attrs = { ...f, elevel: Number(f.elevel), car: Number(f.car), zipcode: Number(f.zipcode) } as AgrawalAttributes;
      expect(l).toBe(agrawalLabel(2, attrs));
    }
  });

  it('balance alternates the classes; perturbation keeps attributes in range', () => {
    const balanced = draw(createConcept({ kind: 'agrawal', variant: 1, balance: true }), 400, 2);
    balanced.forEach((row, i) => expect(row.label).toBe(i % 2 === 0 ? 'A' : 'B'));
    const perturbed = draw(createConcept({ kind: 'agrawal', variant: 1, perturbation: 0.2 }), 2000, 2);
    const plain = draw(createConcept({ kind: 'agrawal', variant: 1 }), 2000, 2);
    expect(perturbed[0]!.features.salary).not.toBe(plain[0]!.features.salary);
    for (const { features: f } of perturbed) {
      expect(f.age as number).toBeGreaterThanOrEqual(20);
      expect(f.age as number).toBeLessThanOrEqual(80);
      expect(f.loan as number).toBeGreaterThanOrEqual(0);
    }
  });
});
