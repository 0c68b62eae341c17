// An EventBus in front of the embedded MemoryBus that knows when every consumer group has
// handled everything published so far. The replay waits on it after each chunk of input
// (and once at the end): only then are the services' windows, alerts and outboxes settled.
//
// It counts instead of asking the MemoryBus for offsets: offsets in a delete-policy topic
// are dense from 0, so a group has consumed a topic when the sum over partitions of its
// next offsets (last handled offset + 1) equals the messages published to the topic.
// Every publish of the process (SDK, services, dead letters, outboxes) goes through this
// wrapper, because the services are started with it as their bus.
import type { BatchHandler, EventBus, OutgoingMessage, SubscribeOptions, Subscription, TopicSpec } from '../../shared/bus/types.js';

/** A handler that failed this many times in a row fails the wait instead of retrying forever. */
const DEFAULT_MAX_CONSECUTIVE_FAILURES = 3;

export class ConsumerFailedError extends Error {
  override readonly name = 'ConsumerFailedError';
}

interface GroupProgress {
  topics: Set<string>;
  members: number;
  /** topic → partition → next offset (last handled offset + 1). */
  next: Map<string, Map<number, number>>;
  consecutiveFailures: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface ConsumptionTrackerOptions {
  maxConsecutiveFailures?: number;
}

export class ConsumptionTracker implements EventBus {
  private readonly published = new Map<string, number>();
  private readonly groups = new Map<string, GroupProgress>();
  private waiters: Waiter[] = [];
  private failure: unknown = null;
  private readonly maxConsecutiveFailures: number;

  constructor(
    private readonly inner: EventBus,
    options: ConsumptionTrackerOptions = {},
  ) {
    this.maxConsecutiveFailures = options.maxConsecutiveFailures ?? DEFAULT_MAX_CONSECUTIVE_FAILURES;
  }

  ensureTopics(specs: TopicSpec[]): Promise<void> {
    return this.inner.ensureTopics(specs);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await this.inner.publish(topic, messages);
    this.published.set(topic, (this.published.get(topic) ?? 0) + messages.length);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const group = this.group(options.groupId, options.topics);
    group.members += 1;
    const subscription = await this.inner.subscribe({ ...options, handler: this.tracked(group, options.handler) });
    let left = false;
    return {
      stop: async () => {
        await subscription.stop();
        if (!left) {
          left = true;
          group.members -= 1;
          this.settle();
        }
      },
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Messages published so far, per topic. */
  publishedCount(topic: string): number {
    return this.published.get(topic) ?? 0;
  }

  /**
   * Resolves once every group with a member has handled every message of its topics
   * (including what handlers publish meanwhile, e.g. alerts consumed by another group).
   * Rejects when a handler keeps failing, or when `signal` aborts.
   */
  whenCaughtUp(signal?: AbortSignal): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.caughtUp()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private group(groupId: string, topics: readonly string[]): GroupProgress {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { topics: new Set(), members: 0, next: new Map(), consecutiveFailures: 0 };
      this.groups.set(groupId, group);
    }
    for (const topic of topics) group.topics.add(topic);
    return group;
  }

  private tracked(group: GroupProgress, handler: BatchHandler): BatchHandler {
    return async (batch, ctx) => {
      try {
        await handler(batch, ctx);
      } catch (error) {
        group.consecutiveFailures += 1;
        if (group.consecutiveFailures >= this.maxConsecutiveFailures && this.failure === null) {
          this.failure = new ConsumerFailedError(
            `a consumer of ${batch.topic} failed ${group.consecutiveFailures} times in a row: ${(error as Error).message}`,
            { cause: error },
          );
          this.settle();
        }
        throw error;
      }
      group.consecutiveFailures = 0;
      let partitions = group.next.get(batch.topic);
      if (partitions === undefined) {
        partitions = new Map();
        group.next.set(batch.topic, partitions);
      }
      partitions.set(batch.partition, Math.max(partitions.get(batch.partition) ?? 0, batch.lastOffset + 1));
      this.settle();
    };
  }

  private caughtUp(): boolean {
    for (const group of this.groups.values()) {
      if (group.members === 0) continue;
      for (const topic of group.topics) {
        let consumed = 0;
        for (const next of group.next.get(topic)?.values() ?? []) consumed += next;
        if (consumed < this.publishedCount(topic)) return false;
      }
    }
    return true;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    if (this.failure !== null) {
      const failure = this.failure;
      for (const waiter of this.waiters.splice(0)) waiter.reject(failure);
      return;
    }
    if (!this.caughtUp()) return;
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }
}
