// BatchContext.pauseCoPartition / resumeCoPartition, the part both buses share: which
// topic-partitions a co-partitioned member holds back, and which assignment they belong to.
// A pause lives only as long as the assignment it was made under: a rebalance may hand the
// partition to another member, or back to this one with a subscriber that forgot why it paused.
import type { BatchContext } from './types.js';

export type CoPartitionControls = Required<Pick<BatchContext, 'pauseCoPartition' | 'resumeCoPartition'>>;

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class CoPartitionPauses {
  private readonly paused = new Map<string, { topic: string; partition: number }>();
  /** Moves with every assignment: controls handed out before it do nothing. */
  private generation = 0;

  constructor(private readonly topics: readonly string[]) {}

  get size(): number {
    return this.paused.size;
  }

  has(topic: string, partition: number): boolean {
    return this.paused.size > 0 && this.paused.has(keyOf(topic, partition));
  }

  /** A new assignment: every pause goes. Returns the ones that were in place, for the client to lift. */
  reset(): { topic: string; partition: number }[] {
    this.generation += 1;
    const lifted = [...this.paused.values()];
    this.paused.clear();
    return lifted;
  }

  /**
   * The controls of a batch of `partition` handed over now. `pause`/`resume` act on the client;
   * they are called only when the state changes, and only under the assignment of the batch.
   */
  controlsFor(partition: number, client: { pause(topic: string, partition: number): void; resume(topic: string, partition: number): void }): CoPartitionControls {
    const generation = this.generation;
    const check = (topic: string): boolean => {
      if (!this.topics.includes(topic)) throw new RangeError(`cannot pause or resume ${topic}: the subscription reads ${this.topics.join(', ')}`);
      return generation === this.generation;
    };
    return {
      pauseCoPartition: (topic) => {
        if (!check(topic)) return false;
        const key = keyOf(topic, partition);
        if (this.paused.has(key)) return false;
        this.paused.set(key, { topic, partition });
        client.pause(topic, partition);
        return true;
      },
      resumeCoPartition: (topic) => {
        if (!check(topic)) return false;
        if (!this.paused.delete(keyOf(topic, partition))) return false;
        client.resume(topic, partition);
        return true;
      },
    };
  }
}
