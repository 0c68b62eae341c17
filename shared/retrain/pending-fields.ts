// Reads a pending-trigger hash (fields written by record-trigger.lua / clear-trigger.lua,
// or by the in-memory twin in the same shape) into a PendingTrigger.
import type { IncidentTrigger } from '../codec/events.generated.js';
import type { PendingTrigger } from './retrain-queue.js';

export function pendingFromFields(model: string, fields: Record<string, string>): PendingTrigger | null {
  if (fields.firstAt === undefined) return null;
  const seq = Number(fields.seq);
  const base = Number(fields.base ?? 0);
  const triggers: IncidentTrigger[] = [];
  for (let i = base + 1; i <= seq; i++) {
    const json = fields[`t:${i}`];
    if (json !== undefined) triggers.push(JSON.parse(json) as IncidentTrigger);
  }
  return {
    model,
    firstAt: Number(fields.firstAt),
    dueAt: Number(fields.dueAt),
    triggers,
    manual: Number(fields.mi ?? 0) > base,
    count: seq,
    // Written by retry-trigger.lua only; a pending trigger that never failed has neither.
    attempts: Number(fields.attempts ?? 0),
    retryOf: fields.failed ?? null,
  };
}
