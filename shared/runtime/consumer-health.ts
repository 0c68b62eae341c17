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
  private inFlight: { since: number; what: string } | undefined;
  private fatalReported = false;
  /** When the last batch finished (successfully or not), or when tracking began. */
  private lastFinishedAt: number;
  private readonly now: () => number;

  constructor(private readonly options: ConsumerHealthOptions) {
    this.now = options.now ?? Date.now;
    this.lastFinishedAt = this.now();
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
    this.inFlight = { since: this.now(), what: `${batch.topic}/${batch.partition} from offset ${first}` };
    try {
      return await work();
    } finally {
      this.inFlight = undefined;
      this.lastFinishedAt = this.now();
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
    if (this.inFlight) {
      const busyMs = this.now() - Math.max(this.inFlight.since, this.lastFinishedAt);
      if (busyMs > this.options.stuckAfterMs) {
        return (
          `stuck: group ${group} has been handling ${this.inFlight.what} for ${Math.round(busyMs / 1000)} s ` +
          `without finishing a batch (limit ${this.options.stuckAfterMs} ms, DW_STUCK_AFTER_MS)`
        );
      }
    }
    return undefined;
  }
}
