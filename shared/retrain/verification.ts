// Did the retrain help? Once enough labelled predictions of the promoted version are in one
// of its metrics snapshots, its windowed metric is compared with the pre-drift baseline.
import type { MetricsSnapshot, Verification } from '../codec/events.generated.js';

export interface VerificationTarget {
  model: string;
  version: string;
  metric: string;
  baseline: number | null;
  tolerance: number;
  verifyAfter: number;
}

/** A verdict: the verification's status once it is no longer PENDING, which the incident takes as its own. */
export type VerificationVerdict = Verification & { status: 'RECOVERED' | 'NOT_RECOVERED' };

/** The verdict a snapshot allows, or null while it is of another version or holds too few labels. */
export function verify(target: VerificationTarget, snapshot: MetricsSnapshot): VerificationVerdict | null {
  if (snapshot.model !== target.model || snapshot.modelVersion !== target.version) return null;
  const labelled = Math.round(snapshot.window.count * (snapshot.labelCoverage ?? 0));
  const observed = snapshot.metrics[target.metric];
  if (labelled < target.verifyAfter || observed === undefined || !Number.isFinite(observed)) return null;
  const recovered = target.baseline === null || observed >= target.baseline - target.tolerance;
  return {
    status: recovered ? 'RECOVERED' : 'NOT_RECOVERED',
    baseline: target.baseline,
    observed,
    labelled,
    tolerance: target.tolerance,
    at: snapshot.window.end,
  };
}
