// Field names of families that hold one window state per feature (`feat:`, `dq:`): each
// state's counter fields prefixed with the escaped feature name. Float sums keep their
// leading `~` (the store's cue for HINCRBYFLOAT), so `~s` of feature `age` is `~age|s`.
import type { CounterInput, Counters } from '../stats/window/counters.js';
import { FLOAT_FIELD_PREFIX, joinField, splitField, toNumber } from '../stats/window/counters.js';

export function featureField(feature: string, field: string): string {
  if (field.startsWith(FLOAT_FIELD_PREFIX)) return `${FLOAT_FIELD_PREFIX}${joinField(feature)}|${field.slice(1)}`;
  return `${joinField(feature)}|${field}`;
}

export interface SplitCounters {
  byFeature: Map<string, Counters>;
  /** Fields without a feature prefix (e.g. the `n` of `dq:`). */
  shared: Counters;
}

/** Inverse of featureField over a whole family hash. */
export function splitFeatureCounters(counters: CounterInput): SplitCounters {
  const byFeature = new Map<string, Counters>();
  const shared: Counters = {};
  for (const [raw, value] of Object.entries(counters)) {
    const float = raw.startsWith(FLOAT_FIELD_PREFIX);
    const field = float ? raw.slice(1) : raw;
    const cut = field.indexOf('|');
    if (cut < 0) {
      shared[raw] = toNumber(raw, value);
      continue;
    }
    // An escaped feature name has no raw `|`, so the first one ends it.
    const feature = splitField(field.slice(0, cut))[0] as string;
    const inner = (float ? FLOAT_FIELD_PREFIX : '') + field.slice(cut + 1);
    let target = byFeature.get(feature);
    if (!target) {
      target = {};
      byFeature.set(feature, target);
    }
    target[inner] = toNumber(raw, value);
  }
  return { byFeature, shared };
}
