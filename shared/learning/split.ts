// Time-ordered split: the oldest examples train, the next validate, the newest test, so a
// model is always judged on data from after what it learned from (as it will be in use).

export interface SplitShares {
  /** Share of the examples for validation, in (0, 1). */
  validation: number;
  /** Share of the examples for the test, in (0, 1). */
  test: number;
}

export interface SplitPart {
  size: number;
  /** Event time of the part's oldest example (ms). */
  from: number;
  /** Event time of the part's newest example (ms). */
  to: number;
}

export interface TimeSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
  parts: { train: SplitPart; validation: SplitPart; test: SplitPart };
}

export function timeOrderedSplit<T extends { time: number }>(examples: readonly T[], shares: SplitShares): TimeSplit<T> {
  for (const [name, share] of Object.entries(shares)) {
    if (!(share > 0 && share < 1)) throw new RangeError(`split share ${name} must be in (0, 1), got ${share}`);
  }
  if (shares.validation + shares.test >= 1) throw new RangeError(`validation (${shares.validation}) + test (${shares.test}) shares leave nothing to train on`);
  // Array.prototype.sort is stable, so equal times keep their input order.
  const sorted = [...examples].sort((a, b) => a.time - b.time);
  const testSize = Math.round(sorted.length * shares.test);
  const validationSize = Math.round(sorted.length * shares.validation);
  const trainSize = sorted.length - validationSize - testSize;
  const sizes = { train: trainSize, validation: validationSize, test: testSize };
  const empty = Object.entries(sizes).filter(([, n]) => n <= 0).map(([name]) => name);
  if (empty.length > 0) {
    throw new RangeError(`${examples.length} examples are too few to split (validation ${shares.validation}, test ${shares.test}): ${empty.join(' and ')} would be empty`);
  }
  const train = sorted.slice(0, trainSize);
  const validation = sorted.slice(trainSize, trainSize + validationSize);
  const test = sorted.slice(trainSize + validationSize);
  return { train, validation, test, parts: { train: partOf(train), validation: partOf(validation), test: partOf(test) } };
}

function partOf<T extends { time: number }>(part: readonly T[]): SplitPart {
  return { size: part.length, from: (part[0] as T).time, to: (part[part.length - 1] as T).time };
}
