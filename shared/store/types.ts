// The state store contract. RedisStore (ioredis + Lua) and MemoryStore (embedded mode)
// both implement it and both pass test/contract/store.contract.ts.

/** Where a batch came from: the idempotence key of DESIGN.md's batched update. */
export interface BatchSource {
  group: string;
  topic: string;
  partition: number;
  /** Offset of the batch's last message. */
  offset: number;
  /**
   * Offset of the batch's first message. When given, a batch that straddles the recorded
   * offset (first <= recorded < offset) is refused as a whole, so the caller can aggregate
   * again only the messages after the recorded offset (see apply-once.ts): a redelivered
   * batch need not have the boundaries of the delivery that was applied.
   */
  firstOffset?: number;
}

/** An increment of one field of one hash. Keys are relative to the model's key space. */
export interface CounterDelta {
  key: string;
  field: string;
  by: number;
}

export interface ApplyBatchRequest {
  /** All keys live under `dw:{<model>}:` so one script touches one Redis Cluster slot. */
  model: string;
  source: BatchSource;
  deltas: CounterDelta[];
  /**
   * Expiry set (refreshed) on every hash the batch touched (bucket retention); fractions
   * allowed, millisecond resolution. When omitted, touched hashes keep whatever TTL they had.
   */
  ttlSeconds?: number;
}

export interface ApplyBatchResult {
  /**
   * False when the batch's offset was not newer than the recorded one (a redelivery), or when
   * it straddles the recorded offset (see `firstOffset`): nothing was changed.
   */
  applied: boolean;
  /** The recorded offset after the call. */
  offset: number;
}

export interface StateStore {
  applyBatch(request: ApplyBatchRequest): Promise<ApplyBatchResult>;
  /** The hash at a model-relative key, numbers parsed; empty object when absent or expired. */
  readCounters(model: string, key: string): Promise<Record<string, number>>;
  /** Last applied offset for the source's (group, topic, partition), or -1. */
  lastOffset(model: string, source: Omit<BatchSource, 'offset'>): Promise<number>;
  /** Remaining TTL in ms of a model-relative key, -1 without expiry, -2 when absent (Redis PTTL). */
  ttlMs(model: string, key: string): Promise<number>;
  close(): Promise<void>;
}

/** `dw:{model}:key` — the hash tag keeps every key of a model in one cluster slot. */
export function modelKey(model: string, key: string): string {
  return `dw:{${model}}:${key}`;
}
