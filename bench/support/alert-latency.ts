// How late an alert came, measured against when the shift became visible in the data:
// the first evaluation window whose own drift statistic (from the metrics snapshots the
// drift service published) crossed its threshold. Pure: fed the collected events.
import type { Alert, MetricsSnapshot } from '../../shared/codec/index.js';

export interface DriftLatency {
  /** First window end whose statistic for the feature crossed its threshold; null if none did. */
  detectableEnd: number | null;
  statistic: string | null;
  /** Windows before the change point that already crossed (false positives of the statistic). */
  crossedBeforeChange: number;
}

export function detectableWindow(snapshots: readonly MetricsSnapshot[], feature: string, horizon: string, changePoint: number): DriftLatency {
  let detectableEnd: number | null = null;
  let statistic: string | null = null;
  let crossedBeforeChange = 0;
  const ordered = snapshots.filter((s) => s.horizon === horizon).sort((a, b) => a.window.end - b.window.end);
  for (const snapshot of ordered) {
    const drift = snapshot.drift.find((d) => d.feature === feature);
    if (drift === undefined || !drift.drifted) continue;
    // A window ending at or before the change point holds no shifted event.
    if (snapshot.window.end <= changePoint) crossedBeforeChange += 1;
    else if (detectableEnd === null) {
      detectableEnd = snapshot.window.end;
      statistic = `${drift.statistic} ${drift.value.toFixed(3)} vs ${drift.threshold}`;
    }
  }
  return { detectableEnd, statistic, crossedBeforeChange };
}

/** The first FIRING alert of a kind (and feature), with when it was received. */
export function firstFiring<T extends { alert: Alert }>(received: readonly T[], kind: Alert['kind'], feature?: string): T | undefined {
  return received
    .filter(({ alert }) => alert.kind === kind && alert.status === 'FIRING' && (feature === undefined || alert.feature === feature))
    .sort((a, b) => a.alert.window.end - b.alert.window.end)[0];
}
