// The twin of commit-evaluation.lua in process memory: fenced on the last evaluated end, it
// stores alert and detector states and appends the outbox entries, all or nothing.
import { modelKey } from '../store/types.js';
import { encodeOutboxEntry } from './framing.js';
import { refreshIdle, type MemoryScriptState } from './memory-lib-counters.js';
import { appendToStream } from './memory-streams.js';
import { DETECTOR_FIELD, alertsKey, clockKey, eventsOutboxKey, validateCommit, validateCommits, versionDetectorField } from './requests.js';
import type { EvaluationCommit } from './types.js';

export function commitEvaluationInMemory(state: MemoryScriptState, commit: EvaluationCommit): { committed: boolean } {
  return { committed: commitInMemory(state, commit, validateCommit(commit)) };
}

/** The twin of commit-evaluation.lua called with several commits: all checked, then each in order. */
export function commitEvaluationsInMemory(state: MemoryScriptState, commits: EvaluationCommit[]): { committed: boolean[] } {
  const idle = validateCommits(commits);
  return { committed: commits.map((commit, i) => commitInMemory(state, commit, idle[i]!)) };
}

function commitInMemory(state: MemoryScriptState, commit: EvaluationCommit, idleMs: number): boolean {
  const key = (k: string): string => modelKey(commit.model, k);
  const clock = state.keyspace.getOrCreate(key(clockKey(commit.scope))).fields;
  if (commit.end <= (clock.get('evaluated') ?? 0)) return false;
  const alerts = state.objects.getOrCreate<Map<string, string>>(key(alertsKey(commit.scope)), () => new Map());
  for (const [field, value] of Object.entries(commit.alertStates)) alerts.set(field, value);
  if (commit.detectorState !== undefined) alerts.set(DETECTOR_FIELD, commit.detectorState);
  for (const [version, value] of Object.entries(commit.detectorStates ?? {})) alerts.set(versionDetectorField(version), value);
  for (const entry of commit.outbox) appendToStream(state.objects, key(eventsOutboxKey(commit.scope)), new Map([['m', encodeOutboxEntry(entry)]]));
  clock.set('evaluated', commit.end);
  refreshIdle(state, commit.model, idleMs, [clockKey(commit.scope), alertsKey(commit.scope), eventsOutboxKey(commit.scope)]);
  return true;
}
