// Rules an event must meet beyond its Avro shape. Avro can say "string" but not "non-empty",
// and a prediction without a model or an output cannot be monitored, so it is refused
// (and dead-lettered) rather than counted under an empty name.
import type { EventMap } from './events.generated.js';
import type { EventType } from './schema-files.js';

/** Returns why the event is invalid, or null. */
type Rule<T> = (event: T) => string | null;

const nonEmpty = (what: string, value: string): string | null =>
  value.trim().length === 0 ? `${what} is empty` : null;

const RULES: { [K in EventType]: Rule<EventMap[K]> } = {
  prediction: (p) =>
    nonEmpty('id', p.id) ??
    nonEmpty('model', p.model) ??
    nonEmpty('modelVersion', p.modelVersion) ??
    (p.predictedClass === null && p.predictedValue === null
      ? 'prediction has neither predictedClass nor predictedValue'
      : null),
  label: (l) =>
    nonEmpty('predictionId', l.predictionId) ??
    nonEmpty('model', l.model) ??
    (l.trueClass === null && l.trueValue === null ? 'label has neither trueClass nor trueValue' : null),
  alert: (a) => nonEmpty('id', a.id) ?? nonEmpty('key', a.key) ?? nonEmpty('model', a.model),
  model: (m) => nonEmpty('model', m.model) ?? nonEmpty('version', m.version),
  metricsSnapshot: (s) => nonEmpty('model', s.model),
  deadLetter: (d) => nonEmpty('sourceTopic', d.sourceTopic) ?? nonEmpty('reason', d.reason),
  incident: (i) =>
    nonEmpty('id', i.id) ??
    nonEmpty('model', i.model) ??
    (i.updatedAt < i.openedAt ? 'updatedAt is before openedAt' : null),
};

export function validateEvent<K extends EventType>(type: K, event: EventMap[K]): string | null {
  return (RULES[type] as Rule<EventMap[K]>)(event);
}
