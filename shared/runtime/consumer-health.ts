// What /readyz knows about one subscription beyond "subscribe() returned": whether its
// consumer still runs (the bus's crash events) and whether its handler still makes progress.
// A consumer that died for good, or a batch stuck in its handler (an outbox publish waiting on
// a broker that is gone, a Redis call that never returns), consumes nothing while every
// connection probe still passes; this is the check that sees it.
import type { Batch, ConsumerStatus } from '../bus/types.js';

/** DW_STUCK_AFTER_MS default: longer than any healthy batch, short enough for an operator. */
export const DEFAULT_STUCK_AFTER_MS = 120_000;

export interface ConsumerHealthOptions {
  /** The subscription's consumer group, named in every reason. */
  group: string;
  /** A batch in the handler longer than this makes the subscription not ready. */
  stuckAfterMs: number;
  /** Called once when the consumer crashed and will not restart. */
  onFatal?: (error: Error) => void;
  /** Clock (tests). */
  now?: () => number;
}

export class ConsumerHealth {
  private status: ConsumerStatus = { state: 'running' };
  /**
   * Batches in the handler, oldest first (Set order is insertion order). Several at once when
   * partitions are consumed concurrently; a stuck partition is stuck even while others finish.
   */
  private readonly inFlight = new Set<{ since: number; what: string }>();
  private fatalReported = false;
  private readonly now: () => number;

  constructor(private readonly options: ConsumerHealthOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The bus's `onStatus`. */
  readonly onStatus = (status: ConsumerStatus): void => {
    this.status = status;
    if (status.state === 'failed' && !this.fatalReported) {
      this.fatalReported = true;
      this.options.onFatal?.(status.error);
    }
  };

  /** Runs the handler of `batch`, recording it as in flight until it settles. */
  async track<T>(batch: Batch, work: () => Promise<T>): Promise<T> {
    const first = batch.messages[0]?.offset ?? batch.lastOffset;
    const entry = { since: this.now(), what: `${batch.topic}/${batch.partition} from offset ${first}` };
    this.inFlight.add(entry);
    try {
      return await work();
    } finally {
      this.inFlight.delete(entry);
    }
  }

  /** Why the subscription is not ready, or undefined when it is. */
  problem(): string | undefined {
    const group = this.options.group;
    if (this.status.state === 'failed') {
      return `consumer of group ${group} crashed and will not restart: ${this.status.error.message}`;
    }
    if (this.status.state === 'restarting') {
      return `consumer of group ${group} crashed and is restarting: ${this.status.error.message}`;
    }
    const oldest = this.inFlight.values().next().value;
    if (oldest !== undefined) {
      const busyMs = this.now() - oldest.since;
      if (busyMs > this.options.stuckAfterMs) {
        return (
          `stuck: group ${group} has been handling ${oldest.what} for ${Math.round(busyMs / 1000)} s ` +
          `without finishing it (limit ${this.options.stuckAfterMs} ms, DW_STUCK_AFTER_MS)`
        );
      }
    }
    return undefined;
  }
}
