// Publishes what an evaluation recorded in Redis (alerts, metrics snapshots) and acks it
// only after Kafka accepted it: at least once, with ids stable across retries.
import type { Logger } from 'pino';
import { publishUntilAccepted } from '../bus/publish-until-accepted.js';
import type { EventBus } from '../bus/types.js';
import type { Outbox, Scope } from '../monitor-state/types.js';
import type { TopicKind, TopicNames } from '../topics.js';

const DRAIN_BATCH = 500;

/**
 * With a logger, each publish is retried until Kafka confirms it (issue 9: the services never give
 * up on what only Redis holds); without one a failure is thrown and the next drain tries again.
 */
export async function drainOutbox(
  state: Outbox,
  bus: EventBus,
  topics: TopicNames,
  model: string,
  scope: Scope,
  logger?: Logger,
): Promise<number> {
  let published = 0;
  for (;;) {
    const entries = await state.readOutbox(model, scope, DRAIN_BATCH);
    if (entries.length === 0) return published;
    const byTopic = new Map<string, typeof entries>();
    for (const entry of entries) {
      const topic = topics[entry.topic as TopicKind];
      if (topic === undefined) throw new Error(`outbox entry for unknown topic kind ${entry.topic}`);
      const list = byTopic.get(topic) ?? [];
      list.push(entry);
      byTopic.set(topic, list);
    }
    for (const [topic, list] of byTopic) {
      const messages = list.map((e) => ({ key: e.key, value: e.value, headers: e.headers }));
      if (logger) await publishUntilAccepted(bus, topic, messages, { logger, what: `outbox of ${model}` });
      else await bus.publish(topic, messages);
    }
    await state.ackOutbox(model, scope, entries.map((e) => e.id));
    published += entries.length;
    if (entries.length < DRAIN_BATCH) return published;
  }
}
