// Agrawal concepts (Agrawal, Imielinski & Swami, 1993, "Database mining: a performance
// perspective"): loan applicants with six numeric and three categorical attributes, and ten
// classification functions that put each applicant in group "A" or "B". Moving from one
// function to another is a concept drift over the same applicants.
//
// Attributes (as in the paper and in River's Agrawal generator):
//   salary      uniform in [20k, 150k)
//   commission  0 when salary ≥ 75k, else uniform in [10k, 75k)
//   age         integer uniform in 20..80
//   elevel      education level, integer uniform in 0..4            (categorical, "0".."4")
//   car         make of the car, integer uniform in 1..20           (categorical, "1".."20")
//   zipcode     integer uniform in 0..8                              (categorical, "0".."8")
//   hvalue      uniform in [0.5·k·100k, 1.5·k·100k) with k = 9 − zipcode
//   hyears      years the house is owned, integer uniform in 1..30
//   loan        uniform in [0, 500k)
// The disposable-income functions (7–10) weigh salary + commission by 2/3 (the paper prints
// 0.67), as River and MOA do.
import { checkProbability } from './seed.js';
import type { ConceptDefinition } from './types.js';
import type { Prng } from '../prng.js';

export interface AgrawalAttributes {
  salary: number;
  commission: number;
  age: number;
  elevel: number;
  car: number;
  zipcode: number;
  hvalue: number;
  hyears: number;
  loan: number;
}

export interface AgrawalOptions {
  /** The classification function, 1..10 as numbered in the paper. Default 1. */
  variant?: number;
  /**
   * Feature noise as in River and MOA: each numeric attribute moves by up to this share of
   * its range (uniformly, either way), after the label is computed. Default 0.
   */
  perturbation?: number;
  /** Alternate the classes (rejection sampling), for a 50/50 stream. Default false. */
  balance?: boolean;
}

export const AGRAWAL_CLASSES = ['A', 'B'];

const K = 1000;
const between = (value: number, low: number, high: number): boolean => value >= low && value <= high;

/** Which of the three age bands the paper's functions 2–6 distinguish. */
function band(age: number): 0 | 1 | 2 {
  return age < 40 ? 0 : age < 60 ? 1 : 2;
}

/** Salary ranges of function 2 (and the salary tests of 5 and 6), per age band. */
const SALARY_BAND: readonly (readonly [number, number])[] = [
  [50 * K, 100 * K],
  [75 * K, 125 * K],
  [25 * K, 75 * K],
];
/** Education levels of function 3 (and 4), per age band. */
const ELEVEL_BAND: readonly (readonly number[])[] = [
  [0, 1],
  [1, 2, 3],
  [2, 3, 4],
];

type Classifier = (a: AgrawalAttributes) => boolean;

const FUNCTIONS: Record<number, Classifier> = {
  1: (a) => a.age < 40 || a.age >= 60,
  2: (a) => between(a.salary, ...SALARY_BAND[band(a.age)]!),
  3: (a) => ELEVEL_BAND[band(a.age)]!.includes(a.elevel),
  4: (a) => {
    const b = band(a.age);
    const inLevel = ELEVEL_BAND[b]!.includes(a.elevel);
    const ranges: [number, number][][] = [
      [[25 * K, 75 * K], [50 * K, 100 * K]],
      [[50 * K, 100 * K], [75 * K, 125 * K]],
      [[50 * K, 100 * K], [25 * K, 75 * K]],
    ];
    return between(a.salary, ...ranges[b]![inLevel ? 0 : 1]!);
  },
  5: (a) => {
    const b = band(a.age);
    const inSalary = between(a.salary, ...SALARY_BAND[b]!);
    const loans: [number, number][][] = [
      [[100 * K, 300 * K], [200 * K, 400 * K]],
      [[200 * K, 400 * K], [300 * K, 500 * K]],
      [[300 * K, 500 * K], [100 * K, 300 * K]],
    ];
    return between(a.loan, ...loans[b]![inSalary ? 0 : 1]!);
  },
  6: (a) => between(a.salary + a.commission, ...SALARY_BAND[band(a.age)]!),
  7: (a) => (2 / 3) * (a.salary + a.commission) - 0.2 * a.loan - 20 * K > 0,
  8: (a) => (2 / 3) * (a.salary + a.commission) - 5 * K * a.elevel - 20 * K > 0,
  9: (a) => (2 / 3) * (a.salary + a.commission) - 5 * K * a.elevel - 0.2 * a.loan - 10 * K > 0,
  10: (a) => {
    const equity = a.hyears >= 20 ? 0.1 * a.hvalue * (a.hyears - 20) : 0;
    return (2 / 3) * (a.salary + a.commission) - 5 * K * a.elevel + 0.2 * equity - 10 * K > 0;
  },
};

/** The group function `fn` (1..10) puts an applicant in. */
export function agrawalLabel(fn: number, attributes: AgrawalAttributes): 'A' | 'B' {
  const classify = FUNCTIONS[fn];
  if (!classify) throw new RangeError(`agrawal: the classification function must be 1..10, got ${fn}`);
  return classify(attributes) ? 'A' : 'B';
}

export function drawAgrawalAttributes(rng: Prng): AgrawalAttributes {
  const salary = rng.uniform(20 * K, 150 * K);
  const commission = salary >= 75 * K ? 0 : rng.uniform(10 * K, 75 * K);
  const age = rng.int(20, 80);
  const elevel = rng.int(0, 4);
  const car = rng.int(1, 20);
  const zipcode = rng.int(0, 8);
  const k = 9 - zipcode;
  const hvalue = k * 100 * K * rng.uniform(0.5, 1.5);
  const hyears = rng.int(1, 30);
  const loan = rng.uniform(0, 500 * K);
  return { salary, commission, age, elevel, car, zipcode, hvalue, hyears, loan };
}

function perturb(rng: Prng, value: number, min: number, max: number, share: number): number {
  const moved = value + (max - min) * share * (2 * rng.next() - 1);
  return Math.min(max, Math.max(min, moved));
}

function perturbed(rng: Prng, a: AgrawalAttributes, share: number): AgrawalAttributes {
  const k = 9 - a.zipcode;
  return {
    ...a,
    salary: perturb(rng, a.salary, 20 * K, 150 * K, share),
    // A zero commission (salary ≥ 75k) is a rule, not a measurement: it stays zero.
    commission: a.commission === 0 ? 0 : perturb(rng, a.commission, 10 * K, 75 * K, share),
    age: Math.round(perturb(rng, a.age, 20, 80, share)),
    hvalue: perturb(rng, a.hvalue, 50 * K * k, 150 * K * k, share),
    hyears: Math.round(perturb(rng, a.hyears, 1, 30, share)),
    loan: perturb(rng, a.loan, 0, 500 * K, share),
  };
}

/** The SDK's feature row of an applicant: the three categorical attributes as strings. */
export function agrawalFeatures(a: AgrawalAttributes): Record<string, number | string> {
  return {
    salary: a.salary,
    commission: a.commission,
    age: a.age,
    elevel: String(a.elevel),
    car: String(a.car),
    zipcode: String(a.zipcode),
    hvalue: a.hvalue,
    hyears: a.hyears,
    loan: a.loan,
  };
}

/** Rejection sampling gives up after this many draws (a function that never yields a class). */
const MAX_BALANCE_DRAWS = 10_000;

export const agrawal: ConceptDefinition<'agrawal', AgrawalOptions> = {
  kind: 'agrawal',
  create(options) {
    const fn = options.variant ?? 1;
    if (!Number.isInteger(fn) || !FUNCTIONS[fn]) {
      throw new RangeError(`agrawal: variant (the classification function) must be 1..10, got ${options.variant}`);
    }
    const share = checkProbability('agrawal', 'perturbation', options.perturbation);
    const balance = options.balance ?? false;
    let wantA = true;
    const draw = (rng: Prng) => {
      const attributes = drawAgrawalAttributes(rng);
      return { attributes, label: agrawalLabel(fn, attributes) };
    };
    return {
      name: `agrawal(function=${fn}${share > 0 ? `, perturbation=${share}` : ''}${balance ? ', balanced' : ''})`,
      classes: [...AGRAWAL_CLASSES],
      sample(rng) {
        let drawn = draw(rng);
        if (balance) {
          const wanted = wantA ? 'A' : 'B';
          for (let tries = 1; drawn.label !== wanted && tries < MAX_BALANCE_DRAWS; tries++) drawn = draw(rng);
          wantA = !wantA;
        }
        const attributes = share > 0 ? perturbed(rng, drawn.attributes, share) : drawn.attributes;
        return { features: agrawalFeatures(attributes), label: drawn.label };
      },
    };
  },
};
