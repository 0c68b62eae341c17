// The twin of commit-evaluation.lua in process memory: fenced on the last evaluated end, it
// stores alert and detector states and appends the outbox entries, all or nothing.
import { assertModelName } from '../store/batch-request.js';
import { InvalidBatchError } from '../store/errors.js';
import { modelKey } from '../store/types.js';
import { encodeOutboxEntry } from './framing.js';
import { refreshIdle, type MemoryScriptState } from './memory-lib-counters.js';
import { appendToStream } from './memory-streams.js';
import { commitIdleMs } from './redis-monitor-state.js';
import { DETECTOR_FIELD, alertsKey, clockKey, eventsOutboxKey, versionDetectorField } from './requests.js';
import type { EvaluationCommit } from './types.js';

export function commitEvaluationInMemory(state: MemoryScriptState, commit: EvaluationCommit): { committed: boolean } {
  assertModelName(commit.model);
  if (!Number.isSafeInteger(commit.end) || commit.end <= 0) throw new InvalidBatchError(`commit end must be a positive integer, got ${commit.end}`);
  for (const field of Object.keys(commit.alertStates)) {
    if (field.startsWith('~')) throw new InvalidBatchError(`alert key ${field} may not start with "~" (reserved)`);
  }
  const idleMs = commitIdleMs(commit);
  const key = (k: string): string => modelKey(commit.model, k);
  const clock = state.keyspace.getOrCreate(key(clockKey(commit.scope))).fields;
  if (commit.end <= (clock.get('evaluated') ?? 0)) return { committed: false };
  const alerts = state.objects.getOrCreate<Map<string, string>>(key(alertsKey(commit.scope)), () => new Map());
  for (const [field, value] of Object.entries(commit.alertStates)) alerts.set(field, value);
  if (commit.detectorState !== undefined) alerts.set(DETECTOR_FIELD, commit.detectorState);
  for (const [version, value] of Object.entries(commit.detectorStates ?? {})) alerts.set(versionDetectorField(version), value);
  for (const entry of commit.outbox) appendToStream(state.objects, key(eventsOutboxKey(commit.scope)), new Map([['m', encodeOutboxEntry(entry)]]));
  clock.set('evaluated', commit.end);
  refreshIdle(state, commit.model, idleMs, [clockKey(commit.scope), alertsKey(commit.scope), eventsOutboxKey(commit.scope)]);
  return { committed: true };
}
