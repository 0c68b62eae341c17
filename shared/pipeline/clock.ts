// Event-time arithmetic shared by the pipelines (see docs/design/monitoring.md, "Time").

export function bucketStart(eventTime: number, bucketMs: number): number {
  return Math.floor(eventTime / bucketMs) * bucketMs;
}

/**
 * The window end an evaluation may move to: the last bucket boundary at or before the
 * watermark, less the lateness allowed for out-of-order events and any delay given to
 * labels. Never earlier than `current` (ends only move forward).
 */
export function reachableEnd(
  watermark: number,
  current: number,
  settings: { bucketMs: number; allowedLatenessMs: number; evaluationDelayMs?: number },
): number {
  const target = bucketStart(watermark - settings.allowedLatenessMs - (settings.evaluationDelayMs ?? 0), settings.bucketMs);
  return Math.max(current, target);
}

/**
 * The window ends to evaluate between two ends, one bucket apart. A model seen for the
 * first time (current = 0) starts at the target rather than at the epoch; a long gap is
 * capped to its last `maxSteps` ends so a burst of old data cannot stall the service.
 */
export function evaluationEnds(current: number, target: number, bucketMs: number, maxSteps: number): number[] {
  if (target <= current) return [];
  if (current <= 0) return [target];
  const first = Math.max(current + bucketMs, target - (maxSteps - 1) * bucketMs);
  const ends: number[] = [];
  for (let end = first; end <= target; end += bucketMs) ends.push(end);
  return ends;
}

/**
 * The event time a batch part raises its source's watermark with: the largest event time no
 * later than `latest` (the validation policy's now + skew). The codec refuses later events
 * already; this keeps a watermark from jumping years ahead (and freezing the model's
 * evaluation) even if one slipped through another producer's codec or a clock change.
 * 0 when none qualifies: it raises nothing.
 */
export function watermarkTime(eventTimes: readonly number[], latest: number): number {
  let max = 0;
  for (const t of eventTimes) if (t <= latest && t > max) max = t;
  return max;
}
