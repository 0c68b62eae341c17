// The Kafka key of a model event, which decides what survives compaction of the models topic.
// Champion changes share the model's key, so the latest event under it is always the current
// champion; every other event gets its version's key and never displaces a champion change.
import type { ModelStatus } from '../codec/events.generated.js';

export function isChampionChange(status: ModelStatus): boolean {
  return status === 'PROMOTED' || status === 'ROLLED_BACK';
}

export function modelEventKey(event: { model: string; version: string; status: ModelStatus }): string {
  return isChampionChange(event.status) ? event.model : `${event.model}@${event.version}`;
}
