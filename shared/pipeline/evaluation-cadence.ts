// Which horizons an evaluation reads and reports at a window end (issue 8). A 24-hour window
// moves by one 10-second bucket in 8,640 between two ends, so reading, reporting and
// publishing it at every end cost the most and told the least; each horizon now has an
// interval (`every`, a multiple of the bucket) and is due at the ends that are multiples of it.
//
// Aligned to the epoch, not to the model's first end or the last evaluation: every instance,
// a restart and a replay of the same data pick the same ends, no state is kept for it, and
// a catch-up after a gap (one end after another, see evaluationEnds) reports at the same ends
// the live run would have.
import type { WindowSettings } from '../monitor-state/types.js';

/** The horizons (ms, in the order of `horizonsMs`) due at window end `end`. */
export function dueHorizons(end: number, windows: Pick<WindowSettings, 'bucketMs' | 'horizonsMs' | 'everyMs'>): number[] {
  return windows.horizonsMs.filter((h, i) => end % Math.max(windows.bucketMs, windows.everyMs?.[i] ?? 0) === 0);
}
