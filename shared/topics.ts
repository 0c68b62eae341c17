// Topic names and their provisioning. Predictions and labels get the same partition count
// so that a prediction and its label (both keyed by prediction id) share a partition number.
import type { TopicSpec } from './bus/types.js';

export const TOPIC_KINDS = ['predictions', 'labels', 'alerts', 'models', 'metrics', 'dlq'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
export type TopicNames = Record<TopicKind, string>;

export const DEFAULT_TOPIC_PREFIX = 'dw.';
export const DEFAULT_PARTITIONS = 6;

export function topicNames(prefix: string = DEFAULT_TOPIC_PREFIX): TopicNames {
  return Object.fromEntries(TOPIC_KINDS.map((kind) => [kind, `${prefix}${kind}`])) as TopicNames;
}

export function topicSpecs(names: TopicNames, partitions: number = DEFAULT_PARTITIONS): TopicSpec[] {
  return TOPIC_KINDS.map((kind) => ({
    topic: names[kind],
    partitions: kind === 'models' ? 1 : partitions,
    // Only the latest model event per model matters to a watcher: let Kafka compact the rest.
    ...(kind === 'models' ? { cleanupPolicy: 'compact' as const } : {}),
  }));
}
