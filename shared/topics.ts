// Topic names and their provisioning. Predictions and labels get the same partition count
// so that a prediction and its label (both keyed by prediction id) share a partition number.
import type { TopicSpec } from './bus/types.js';

export const TOPIC_KINDS = ['predictions', 'labels', 'alerts', 'models', 'metrics', 'dlq', 'incidents'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
export type TopicNames = Record<TopicKind, string>;

export const DEFAULT_TOPIC_PREFIX = 'dw.';
export const DEFAULT_PARTITIONS = 6;
/** 7 days: must cover a retrain's window plus the label horizon, read back from the log. */
export const DEFAULT_TOPIC_RETENTION_MS = 7 * 24 * 3_600_000;

/** Topics keyed by an entity whose latest value is all that matters: Kafka compacts the rest. */
const COMPACTED: ReadonlySet<TopicKind> = new Set(['models', 'incidents']);
/** Topics the retrainer reads back by time (design doc retraining.md, step 3). */
const RETAINED: ReadonlySet<TopicKind> = new Set(['predictions', 'labels']);

export interface TopicSpecOptions {
  /** retention.ms of predictions and labels; default DEFAULT_TOPIC_RETENTION_MS. */
  retentionMs?: number;
}

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  return Object.fromEntries(TOPIC_KINDS.map((kind) => [kind, `${prefix}${kind}`])) as TopicNames;
}

export function topicSpecs(names: TopicNames, partitions: number = DEFAULT_PARTITIONS, options: TopicSpecOptions = {}): TopicSpec[] {
  const retentionMs = options.retentionMs ?? DEFAULT_TOPIC_RETENTION_MS;
  return TOPIC_KINDS.map((kind) => ({
    topic: names[kind],
    // One partition keeps every model's events in one order (a champion change is never overtaken).
    partitions: kind === 'models' ? 1 : partitions,
    ...(COMPACTED.has(kind) ? { cleanupPolicy: 'compact' as const } : {}),
    ...(RETAINED.has(kind) ? { retentionMs } : {}),
  }));
}
