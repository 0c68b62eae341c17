// Readiness of the join's replays. After a rebuild, new events of a partition wait (deferred)
// until the other stream's replay passed what Redis recorded of it (performance-pipeline.ts). A
// replay that never completes (the other topic's partition stalled, a fetch that never comes)
// would leave them uncounted with nothing but a gauge to show it; past a limit /readyz fails.
import type { Probe } from '../runtime/ops-server.js';

/** How long new events may wait for a replay before /readyz fails: replays take seconds to minutes. */
export const DEFERRAL_LIMIT_MS = 5 * 60_000;

/**
 * `oldestDeferral`: when the longest-waiting deferred events were deferred (null: none wait).
 * A detail while events wait, a failure once they waited longer than `limitMs`.
 */
export function deferralProbe(oldestDeferral: () => number | null, limitMs: number = DEFERRAL_LIMIT_MS, now: () => number = Date.now): Probe {
  return async () => {
    const since = oldestDeferral();
    if (since === null) return;
    const seconds = Math.round((now() - since) / 1000);
    if (now() - since > limitMs) {
      throw new Error(`new events have waited ${seconds} s for the replay of their partition's other stream after a rebuild; none of them is counted until it completes (driftwatch_join_deferred_events)`);
    }
    return `new events waiting ${seconds} s for a replay after a rebuild`;
  };
}
