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

/** Where a field goes: its feature and the field inside that feature's state, or null (shared). */
type Placement = { feature: string; inner: string } | null;

/**
 * Field names split once per process rather than at every window end (issue 8): a model's
 * fields come from its reference (features × bins, capped vocabularies), so the set is small;
 * the cap only bounds memory against a pathological stream of distinct names.
 */
const placements = new Map<string, Placement>();
const MAX_PLACEMENTS = 100_000;

function placementOf(raw: string): Placement {
  let placement = placements.get(raw);
  if (placement !== undefined) return placement;
  const float = raw.startsWith(FLOAT_FIELD_PREFIX);
  const field = float ? raw.slice(1) : raw;
  const cut = field.indexOf('|');
  // An escaped feature name has no raw `|`, so the first one ends it.
  placement = cut < 0 ? null : { feature: splitField(field.slice(0, cut))[0] as string, inner: (float ? FLOAT_FIELD_PREFIX : '') + field.slice(cut + 1) };
  if (placements.size >= MAX_PLACEMENTS) placements.clear();
  placements.set(raw, placement);
  return placement;
}

/** Inverse of featureField over a whole family hash. */
export function splitFeatureCounters(counters: CounterInput): SplitCounters {
  const byFeature = new Map<string, Counters>();
  const shared: Counters = {};
  for (const [raw, value] of Object.entries(counters)) {
    const placement = placementOf(raw);
    if (placement === null) {
      shared[raw] = toNumber(raw, value);
      continue;
    }
    let target = byFeature.get(placement.feature);
    if (!target) {
      target = {};
      byFeature.set(placement.feature, target);
    }
    target[placement.inner] = toNumber(raw, value);
  }
  return { byFeature, shared };
}
