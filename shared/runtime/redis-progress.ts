// Redis as the source of truth for the monitors' progress (issue 9, "Redis loss"). Kafka's
// committed offsets say what a group *read*; only Redis knows what was *applied*. Two records
// (progress.lua, one hash slot `{~progress}`):
// - per consumer group and partition, the last offset of a batch whose every model was applied
//   (written after the handler resolved, before the Kafka commit). On assignment the bus asks
//   `startOffset` and rewinds a partition to that offset + 1 when Kafka committed beyond it, i.e.
//   when Redis lost applies Kafka had already committed; the per-model offset fences then skip
//   whatever Redis did keep, so nothing counts twice and nothing is skipped;
// - an epoch: a random id set once in a Redis that has none. Every service adopts it at start and
//   checks it on every progress read and write. A vanished or different epoch is a Redis that lost
//   its data while this process ran (a restart without persistence, FLUSHALL): the service writes
//   a tombstone (`LOST …`), refuses every batch (nothing more is applied or committed), /readyz
//   answers 503 with the reason and the log says what to do. A tombstone seen at start does the
//   same. Recovery is an operator's decision (docs/design/monitoring.md): clear driftwatch's keys
//   and restart; a fresh epoch with no progress records then rebuilds from the log (every
//   partition the group had committed is read again from the log's start).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Batch, PartitionStart } from '../bus/types.js';
import { defineLuaScript, type LuaCommand } from '../store/lua-scripts.js';
import type { RedisClient } from '../store/redis-connection.js';

/** One hash tag for both keys; model names never contain '~', so no model's keys share it. */
export const EPOCH_KEY = 'dw:{~progress}:epoch';
export const progressKey = (group: string): string => `dw:{~progress}:offsets:${group}`;
export const progressField = (topic: string, partition: number): string => `${topic}|${partition}`;
const TOMBSTONE = 'LOST ';

/** What the reason and the error log say: which state was lost, and what the service refuses and the operator does. */
export interface LossWording {
  /** `Redis lost the <state>: …` */
  state: string;
  /** Follows the reason in the error log. */
  refusal: string;
}

const MONITOR_WORDING: LossWording = {
  state: 'monitoring state',
  refusal:
    `Refusing to consume: counting on would leave a silent gap. To rebuild from the Kafka log ` +
    `(exact where retention still holds the data): stop every monitor and retrainer, delete driftwatch's keys ` +
    `(redis-cli --scan --pattern 'dw:*' | xargs -r -n1 redis-cli del), start them again.`,
};

export interface RecordedProgress {
  /** Where the partition resumes by Redis's record (null: where the bus starts it). */
  next: number | null;
  /** Where the subscriber's rebuild of its in-memory state starts (null: none recorded). */
  from: number | null;
}

/** Redis no longer holds the state this service built: it refuses to go on. */
export class RedisLostError extends Error {
  override readonly name = 'RedisLostError';
}

const text = (value: unknown): string | null => (value === null || value === false || value === undefined ? null : Buffer.isBuffer(value) ? value.toString('utf8') : String(value));

export class RedisProgress {
  private epoch: string | null = null;
  /** The epoch began on an empty Redis: a partition it never recorded but the group committed is rebuilt from the log. */
  private rebuildUnrecorded = false;
  private lostReason: string | null = null;
  private readonly script: LuaCommand;

  constructor(
    private readonly redis: RedisClient,
    private readonly service: string,
    private readonly logger: Logger,
    private readonly wording: LossWording = MONITOR_WORDING,
  ) {
    this.script = defineLuaScript(redis, import.meta.url, { name: 'driftwatchProgress', file: './progress.lua', numberOfKeys: 2 });
  }

  /** Why the service refuses, or null while Redis is the one it started with. */
  get lost(): string | null {
    return this.lostReason;
  }

  /** Adopts Redis's epoch (creating it in a Redis that has none). A tombstone marks the service lost at once. */
  async open(): Promise<void> {
    // An epoch created on an empty Redis (new, or cleared by an operator after a loss) ends in
    // `:empty`; one created over existing driftwatch data (a release before epochs) in `:adopted`,
    // and there a partition without a progress record keeps Kafka's committed position, since the
    // per-model fences of models idle past their expiry are gone and a full re-read would count
    // those again. A cluster is never judged empty (DBSIZE answers for one node).
    const empty = !('nodes' in this.redis) && (await this.redis.dbsize()) === 0;
    const reply = (await this.script([EPOCH_KEY, progressKey('-')], ['open', `${randomUUID()}:${empty ? 'empty' : 'adopted'}`])) as unknown[];
    const epoch = text(reply[0])!;
    if (epoch.startsWith(TOMBSTONE)) {
      this.markLost(`Redis was marked as having lost its data (${epoch.slice(TOMBSTONE.length)})`);
      return;
    }
    this.epoch = epoch;
    this.rebuildUnrecorded = epoch.endsWith(':empty');
    this.logger.info({ epoch, created: Number(reply[1]) === 1 }, Number(reply[1]) === 1 ? 'Redis epoch created (a Redis without driftwatch progress)' : 'Redis epoch adopted');
  }

  /** /readyz: fails with the reason once Redis lost its data. */
  readonly probe = async (): Promise<void> => {
    if (this.lostReason !== null) throw new RedisLostError(this.lostReason);
  };

  /** Throws RedisLostError once lost: called before a batch touches Redis. */
  assertUsable(): void {
    if (this.lostReason !== null) throw new RedisLostError(this.lostReason);
  }

  /**
   * The epoch check alone, without a consumer-group record: throws RedisLostError (after
   * tombstoning the epoch and logging once) when Redis is no longer the one `open()` adopted.
   */
  async check(): Promise<void> {
    this.assertUsable();
    // Before open() there is no epoch to compare: comparing '' would tombstone a healthy Redis.
    if (this.epoch === null) throw new Error('RedisProgress.check() before open()');
    const reply = (await this.script([EPOCH_KEY, progressKey('-')], ['check', this.epoch, '', '', this.tombstone()])) as unknown[];
    if (Number(reply[0]) !== 1) this.refuse(reply[1]);
  }

  /**
   * SubscribeOptions.startOffset: Redis's progress + 1. A partition Redis never recorded but the
   * group committed, in an epoch begun on an empty Redis (a fresh Redis behind an old group), is
   * read from the log's start (0, which the bus clamps to the first retained offset). A group
   * that never committed, or an epoch adopted over older data, starts where the bus starts it.
   */
  startOffset(group: string): (start: PartitionStart) => Promise<number | null> {
    return async (start) => (await this.read(group, start)).next;
  }

  /**
   * What Redis holds for a partition: `next`, where it resumes (startOffset's answer), and
   * `from`, where a subscriber that keeps state in memory recorded its rebuild must start.
   */
  async read(group: string, { topic, partition, committed }: PartitionStart): Promise<RecordedProgress> {
    this.assertUsable();
    const reply = (await this.script(
      [EPOCH_KEY, progressKey(group)],
      ['read', this.epoch!, progressField(topic, partition), '', this.tombstone()],
    )) as unknown[];
    if (Number(reply[0]) !== 1) this.refuse(reply[1]);
    const recorded = text(reply[1]);
    const from = text(reply[2]);
    const next = recorded !== null ? Number(recorded) + 1 : committed === null || !this.rebuildUnrecorded ? null : 0;
    return { next, from: from === null ? null : Number(from) };
  }

  /** After every model of the batch applied (the handler resolved), before the Kafka commit. */
  /** `rebuildFrom`: where a rebuild of the batch's partition number must start, by topic (PartitionRebuild). */
  async record(group: string, batch: Batch, rebuildFrom: Readonly<Record<string, number>> = {}): Promise<void> {
    this.assertUsable();
    const cuts = Object.entries(rebuildFrom).flatMap(([topic, from]) => [progressField(topic, batch.partition), String(from)]);
    const reply = (await this.script(
      [EPOCH_KEY, progressKey(group)],
      ['record', this.epoch!, progressField(batch.topic, batch.partition), String(batch.lastOffset), this.tombstone(), ...cuts],
    )) as unknown[];
    if (Number(reply[0]) !== 1) this.refuse(reply[1]);
  }

  private tombstone(): string {
    return `${new Date().toISOString()} detected by ${this.service} pid ${process.pid}; its epoch was ${this.epoch}`;
  }

  private refuse(found: unknown): never {
    const now = text(found);
    const what =
      now === null
        ? 'its epoch key vanished (restarted without persistence, or flushed)'
        : now.startsWith(TOMBSTONE)
          ? `another service found it had lost its data (${now.slice(TOMBSTONE.length)})`
          : `its epoch changed from ${this.epoch} to ${now} (replaced or flushed while this service ran)`;
    this.markLost(`Redis lost the ${this.wording.state}: ${what}`);
    throw new RedisLostError(this.lostReason!);
  }

  private markLost(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    this.logger.error({ reason, epochKey: EPOCH_KEY }, `${reason}. ${this.wording.refusal}`);
  }
}
