// Which labelled examples a retrain learns from: everything since the drift started, plus
// at most a share of the newest examples from before it, so the model learns the new regime
// without forgetting what still holds. A manual retrain (no drift start) takes the window.

export interface TimedExample {
  time: number;
}

export interface TrainingSetPolicy {
  /** Of the selected set, at most this share comes from before the drift started. */
  preDriftShare: number;
  minExamples: number;
  /** The newest this many at most, so a long window cannot make a retrain unbounded. */
  maxExamples: number;
}

export type TrainingSetChoice<T> =
  | { ok: true; examples: T[]; preDrift: number; postDrift: number }
  | { ok: false; reason: string };

/** `examples` sorted by event time, oldest first; the result keeps that order. */
export function chooseTrainingSet<T extends TimedExample>(
  examples: readonly T[],
  driftStart: number | null,
  policy: TrainingSetPolicy,
): TrainingSetChoice<T> {
  if (examples.length === 0) {
    return { ok: false, reason: 'no labelled examples in the training window (no predictions, or none of them labelled yet)' };
  }
  const firstDuring = driftStart === null ? 0 : lowerBound(examples, driftStart);
  const during = examples.slice(Math.max(firstDuring, examples.length - policy.maxExamples));
  const room = policy.maxExamples - during.length;
  // pre / (pre + during) ≤ share  ⇔  pre ≤ during · share / (1 − share)
  const allowed = policy.preDriftShare >= 1 ? room : Math.floor((during.length * policy.preDriftShare) / (1 - policy.preDriftShare));
  const preCount = Math.min(firstDuring, room, allowed);
  const chosen = [...examples.slice(firstDuring - preCount, firstDuring), ...during];
  if (chosen.length < policy.minExamples) {
    return {
      ok: false,
      reason:
        `only ${chosen.length} labelled examples are usable (${during.length} since the drift started, ${preCount} before it); ` +
        `the retrain policy needs minExamples ${policy.minExamples}`,
    };
  }
  return { ok: true, examples: chosen, preDrift: preCount, postDrift: during.length };
}

function lowerBound(examples: readonly TimedExample[], time: number): number {
  let lo = 0;
  let hi = examples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (examples[mid]!.time < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
