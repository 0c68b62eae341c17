// Names of one alert state machine and of each of its transitions.
import type { AlertKind } from '../codec/events.generated.js';
import { joinField, splitField } from '../stats/window/counters.js';

export interface AlertKeyParts {
  model: string;
  version: string;
  kind: AlertKind;
  metric: string;
  /** '' (or null) when the metric is not about one feature. */
  feature: string | null;
}

/**
 * `model|version|kind|metric|feature`. Segments escape `|` and `%` as the window counters
 * do, so a model or feature name containing `|` cannot make two keys collide.
 */
export function alertKey(parts: AlertKeyParts): string {
  return joinField(parts.model, parts.version, parts.kind, parts.metric, parts.feature ?? '');
}

export function parseAlertKey(key: string): AlertKeyParts {
  const segments = splitField(key);
  if (segments.length !== 5) throw new RangeError(`alert key ${key} does not have 5 segments`);
  const [model, version, kind, metric, feature] = segments as [string, string, AlertKind, string, string];
  return { model, version, kind, metric, feature: feature === '' ? null : feature };
}

/** One id per transition: the evaluation end E makes it stable across instances and retries. */
export function alertId(key: string, end: number): string {
  return `${key}@${end}`;
}
