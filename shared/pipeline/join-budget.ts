// The memory budget of the performance service's join (DW_PENDING_BUDGET_MB). Past it the oldest
// pending predictions are dropped: they stay counted as predictions and count as unlabelled, and
// a label that comes for one later is dead-lettered. The service goes on and says so: a metric,
// a warning in the log, a detail in /readyz.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { PartitionJoin } from '../join/partition-join.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import type { JoinPartitions } from './join-partitions.js';

/** How long /readyz keeps mentioning the budget after it was last reached. */
const REPORTED_FOR_MS = 5 * 60_000;

export class JoinBudget {
  private readonly bytesGauge: Gauge;
  private readonly evicted: Counter;
  private reachedAt = -Infinity;
  private evictedTotal = 0;
  private readonly log: RateLimitedLog;

  constructor(
    readonly limitBytes: number,
    private readonly partitions: JoinPartitions<{ offset: number }>,
    registry: Registry,
    logger: Logger,
  ) {
    this.bytesGauge = new Gauge({
      name: 'driftwatch_join_pending_bytes',
      help: 'Memory held by the in-memory join: pending predictions and labels waiting for their prediction.',
      registers: [registry],
      collect: () => this.bytesGauge.set(this.partitions.bytes),
    });
    const deferred: Gauge = new Gauge({
      name: 'driftwatch_join_deferred_events',
      help: 'New events waiting for the other stream of their partition to be replayed after a rebuild (counted, and committed in Redis, once it is).',
      registers: [registry],
      collect: (): void => deferred.set(this.partitions.deferredEvents),
    });
    this.evicted = new Counter({
      name: 'driftwatch_join_budget_evicted_total',
      help: 'Pending predictions dropped because the join reached DW_PENDING_BUDGET_MB (they count as unlabelled).',
      registers: [registry],
    });
    this.log = new RateLimitedLog(logger, { perWindow: 1 });
  }

  /** After a batch was read into `current`: drops the oldest pending predictions while over the budget, `current`'s first. */
  enforce(current: PartitionJoin): void {
    let total = this.partitions.bytes;
    if (total <= this.limitBytes) return;
    let dropped = 0;
    const tables = [current, ...[...this.partitions.all()].flatMap((part) => [...part.models.values()].map((m) => m.join))];
    for (const table of tables) {
      while (total > this.limitBytes && table.dropOldest()) {
        dropped += 1;
        if (dropped % 1024 === 0) total = this.partitions.bytes;
      }
      total = this.partitions.bytes;
      if (total <= this.limitBytes) break;
    }
    this.reachedAt = Date.now();
    this.evictedTotal += dropped;
    this.evicted.inc(dropped);
    this.log.warn(
      { budgetBytes: this.limitBytes, heldBytes: total, dropped, droppedTotal: this.evictedTotal },
      'join memory budget reached (DW_PENDING_BUDGET_MB): the oldest pending predictions count as unlabelled; raise the budget or shorten labelHorizonMs (README, "Memory of the join")',
    );
  }

  /** A /readyz detail while the budget was reached recently: ready, but an operator should know. */
  readonly probe = async (): Promise<string | void> => {
    if (Date.now() - this.reachedAt > REPORTED_FOR_MS) return;
    return `join memory budget of ${Math.round(this.limitBytes / 2 ** 20)} MiB reached ${Math.round((Date.now() - this.reachedAt) / 1000)} s ago: ${this.evictedTotal} pending predictions counted as unlabelled so far`;
  };
}
