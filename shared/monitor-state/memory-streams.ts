// The Redis streams the monitor state keeps (the events outboxes) in process
// memory: XADD, XRANGE and XDEL as the scripts and RedisMonitorState use them.
import { assertModelName } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';
import type { MemoryObjects, StreamEntry } from './memory-objects.js';
import { assertStreamId } from './redis-monitor-state.js';

interface MemoryStream {
  entries: StreamEntry[];
  lastMs: number;
  lastSeq: number;
}

/** XADD with an auto id: <ms>-<seq>, never going back even if the clock does. */
export function appendToStream(objects: MemoryObjects, key: string, fields: Map<string, Buffer>): void {
  const stream = objects.getOrCreate<MemoryStream>(key, () => ({ entries: [], lastMs: 0, lastSeq: 0 }));
  const now = Math.floor(objects.now());
  if (now > stream.lastMs) {
    stream.lastMs = now;
    stream.lastSeq = 0;
  } else stream.lastSeq += 1;
  stream.entries.push({ id: `${stream.lastMs}-${stream.lastSeq}`, fields });
}

/** XRANGE - + COUNT max of the model's stream `key`, each entry's `m` field. */
export function readStream(objects: MemoryObjects, model: string, key: string, max: number): { id: string; value: Buffer }[] {
  assertModelName(model);
  if (!Number.isSafeInteger(max) || max <= 0) return [];
  const entries = objects.get<MemoryStream>(modelKey(model, key))?.entries ?? [];
  return entries.slice(0, max).map((entry) => ({ id: entry.id, value: Buffer.from(entry.fields.get('m') ?? Buffer.alloc(0)) }));
}

/** XDEL of the model's stream `key`: only the ids given (see MonitorState's ackOutbox). */
export function deleteFromStream(objects: MemoryObjects, model: string, key: string, ids: string[]): void {
  assertModelName(model);
  for (const id of ids) assertStreamId(id);
  const stream = objects.get<MemoryStream>(modelKey(model, key));
  if (stream === undefined || ids.length === 0) return;
  const acked = new Set(ids);
  stream.entries = stream.entries.filter((entry) => !acked.has(entry.id));
}
