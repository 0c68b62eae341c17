// The monitoring services' state in Redis (see docs/design/monitoring.md for the layout).
// RedisMonitorState runs one Lua script per call; MemoryMonitorState is its embedded twin.
// Both pass test/contract/monitor-state.contract.ts.
import type { BatchSource } from '../store/types.js';

export type Scope = 'perf' | 'drift';

export interface WindowSettings {
  bucketMs: number;
  /** Rolling window lengths, e.g. [300_000, 3_600_000, 86_400_000]. */
  horizonsMs: number[];
  /** Bucket hash expiry; must exceed the largest horizon plus lateness plus one bucket. */
  retentionMs: number;
  /**
   * Partitions of each source topic (default 1). Until every one of them has delivered an
   * event (or an idle period passed), the watermark waits: a window closed on the first
   * partition's progress would miss the others' events (see lib-counters.lua).
   */
  sourcePartitions?: number;
  /**
   * Every this many advances the window sums are re-summed from the buckets, which bounds
   * the rounding drift of float counters (adding and subtracting the same doubles does not
   * return exactly to zero). Default 360 (an hour of 10 s buckets).
   */
  rebuildEvery?: number;
  /**
   * Idle expiry (issue 9): every key of the model without a shorter expiry of its own
   * (offsets, clocks, families, window sums, alert states, outboxes, references)
   * expires this long after its last use. 0 or absent: they never expire. Must exceed
   * retentionMs.
   */
  idleMs?: number;
  /**
   * Evaluation cadence (issue 8): per horizon, in the order of `horizonsMs`, the interval its
   * window is read and reported at — at window ends that are multiples of it (epoch-aligned,
   * so every instance and every replay picks the same ends). A multiple of bucketMs; absent
   * or shorter: every bucket. Only EvaluationLoop reads it; the window sums of every horizon
   * still slide at every end (see evaluation-cadence.ts).
   */
  everyMs?: number[];
}

/** Counter deltas for one bucket of one family (e.g. `feat:3` at 1_700_000_010_000). */
export interface BucketDeltas {
  family: string;
  bucketStart: number;
  counters: Record<string, number>;
}

/** Reply common to both apply scripts. */
export interface ApplyReply {
  /** False for a redelivered batch (nothing written) or a straddling one (see apply-once). */
  applied: boolean;
  recordedOffset: number;
  /** The scope's watermark after the call (max event time applied). */
  watermark: number;
  /** The scope's current window end E (exclusive). */
  end: number;
  /** The last E whose evaluation was committed. */
  evaluated: number;
}

/** Whether the batch reached its partition's end (high watermark): only such a partition can be idle. */
interface SourceProgress {
  caughtUp?: boolean;
}

export interface DriftBatch extends SourceProgress {
  model: string;
  source: BatchSource;
  windows: WindowSettings;
  deltas: BucketDeltas[];
  /** Largest event time in the batch (raises the watermark). */
  maxEventTime: number;
  /** Rows appended to `refsample:<version>` while that version's reference is being collected. */
  referenceSamples?: { version: string; rows: string[]; cap: number }[];
}

export interface DriftApplyReply extends ApplyReply {
  /** Length of each reference sample list after the call. */
  sampleSizes: Record<string, number>;
}

/**
 * One batch's outcomes, joined in the performance service's memory, as counter deltas: the
 * apply is a compare-and-set on the recorded offsets of both streams of the partition, because
 * whether Redis already counted an outcome (prediction offset a, label offset b) is decided
 * from them: counted iff a <= recorded(predictions) and b <= recorded(labels).
 */
export interface PerfDeltaBatch extends SourceProgress {
  model: string;
  /** The batch's own stream: group, topic, partition, firstOffset, offset (the batch's last offset, recorded on apply). */
  source: BatchSource;
  /** Offsets field of the paired stream (same group and partition, the other topic): `group|topic|partition`. */
  pairedField: string;
  /** Which stream the batch is: 'pp' predictions, 'pl' labels (the watermark source kind, see lib-counters.lua). */
  kind: 'pp' | 'pl';
  /** Recorded offsets the caller's deltas assume (-1: none recorded). null: refuse and report them (a probe). */
  expected: { own: number; paired: number } | null;
  windows: WindowSettings;
  /** Pre-aggregated counter deltas (perf:<version> outcome counters, cov:<version> `n`/`l`); may be empty. */
  deltas: BucketDeltas[];
  /** Largest event time of the batch's own stream (raises that source's watermark). */
  maxEventTime: number;
}

export interface PerfDeltaReply extends ApplyReply {
  /** recordedOffset is the own stream's; this is the paired stream's (-1: none). */
  pairedOffset: number;
}

export interface AdvanceRequest {
  model: string;
  scope: Scope;
  windows: WindowSettings;
  /** New window end; must be a bucket boundary. */
  to: number;
  /**
   * Horizons whose window sums are returned (each one of `windows.horizonsMs`); absent: all.
   * Every horizon's sum still slides: only the reply is smaller.
   */
  read?: number[];
  /**
   * Family prefixes (e.g. `perf:`) whose closing bucket [E - bucketMs, E) is returned in
   * `closing`, so the concept-drift detector's input comes in the same round trip.
   */
  closing?: string[];
}

/**
 * Several window ends of one (model, scope) in one call, each as an `advance` to it would do
 * and return had each been called in turn, with nothing in between (EvaluationState.advanceEnds).
 */
export interface AdvanceEndsRequest {
  model: string;
  scope: Scope;
  windows: WindowSettings;
  /** Increasing bucket boundaries, each with the horizons read there (AdvanceRequest.read). */
  ends: { to: number; read?: number[] }[];
  /** As AdvanceRequest.closing, for every end. */
  closing?: string[];
}

export interface EvaluationInput {
  advanced: boolean;
  /** E before and after the call. */
  from: number;
  end: number;
  /**
   * windows[family][horizonMs] = the running sum's counters, for the horizons read (`horizons`);
   * every family of the scope has an entry, empty when no horizon was read.
   */
  windows: Record<string, Record<number, Record<string, number>>>;
  /** The horizons whose sums were read (AdvanceRequest.read, or all). */
  horizons: number[];
  /** closing[family] = the counters of the bucket [E - bucketMs, E), for families matching AdvanceRequest.closing. */
  closing: Record<string, Record<string, number>>;
  /** Alert key → serialized state. */
  alertStates: Record<string, string>;
  /**
   * The model-wide concept-drift detector of releases before detectors were per version
   * (`~detector`); read only to carry it over to a version (see legacyDetectorOwner in shared/monitor/concept-drift.ts).
   */
  detectorState: string | null;
  /** Version → that version's concept-drift detector state (`~detector|<version>`). */
  detectorStates: Record<string, string>;
}

export interface EvaluationCommit {
  model: string;
  scope: Scope;
  /** The E being committed; a no-op when an evaluation at or after E was committed. */
  end: number;
  alertStates: Record<string, string>;
  /** Model-wide detector (`~detector`, legacy); the services write `detectorStates`. */
  detectorState?: string;
  /** Version → detector state to store (`~detector|<version>`); versions not listed keep theirs. */
  detectorStates?: Record<string, string>;
  /** Encoded events (alerts, metrics snapshots) to publish at least once. */
  outbox: OutboxEntry[];
  /** Idle expiry of the scope's clock, alert states and outbox (WindowSettings.idleMs); 0/absent: none. */
  idleMs?: number;
}

export interface OutboxEntry {
  /** Target topic kind, e.g. 'alerts' or 'metrics' or 'dlq'. */
  topic: string;
  key: string;
  value: Buffer;
  headers: Record<string, Buffer>;
}

/** An outbox item with the id it has in Redis (e.g. a stream entry id). */
export type Stored<T> = T & { id: string };

/**
 * What the performance service's in-memory join (shared/join) writes: one fenced apply of a
 * batch's outcome deltas per batch per model.
 */
export interface JoinState {
  /**
   * The counter deltas of outcomes joined in the caller's memory, applied only if the recorded
   * offsets of the batch's stream and of the paired stream are exactly `expected`; otherwise
   * (and always for `expected: null`) refused with both recorded offsets, nothing written.
   */
  applyPerfDeltas(batch: PerfDeltaBatch): Promise<PerfDeltaReply>;
}

/** The drift scope's bucket counters (feature histograms, reference samples): one apply per batch. */
export interface DriftWindows {
  applyDriftBatch(batch: DriftBatch): Promise<DriftApplyReply>;
}

/** The window clock of a (model, scope): move its end, commit what the evaluation decided. */
export interface EvaluationState {
  advance(request: AdvanceRequest): Promise<EvaluationInput>;
  commitEvaluation(commit: EvaluationCommit): Promise<{ committed: boolean }>;
  /**
   * One round trip for k ends (issue 8): the inputs `advance` would return for each end in
   * turn. The alert and detector states are those stored at the call, the same in every input:
   * the caller carries each evaluation's states to the next (EvaluationLoop does).
   */
  advanceEnds(request: AdvanceEndsRequest): Promise<EvaluationInput[]>;
  /**
   * Commits in order, each fenced as `commitEvaluation` would fence it alone, in one round
   * trip; all of one (model, scope). Validated before anything is written.
   */
  commitEvaluations(commits: EvaluationCommit[]): Promise<{ committed: boolean[] }>;
  /** Sum of bucket hashes of a family over [start, end): for reports and tests, not the hot path. */
  readBuckets(model: string, family: string, start: number, end: number, bucketMs: number): Promise<Record<string, number>>;
}

/** What a commit recorded to publish (alerts, snapshots), drained at least once. */
export interface Outbox {
  /** Up to `max` entries of the scope's events outbox (alerts, snapshots), oldest first. */
  readOutbox(model: string, scope: Scope, max: number): Promise<Stored<OutboxEntry>[]>;
  /**
   * Removes entries once they were published. By id, not by count: two instances may
   * drain at once, and each may only remove what it published (a duplicate publish is
   * possible then, a lost entry is not).
   */
  ackOutbox(model: string, scope: Scope, ids: string[]): Promise<void>;
}

/** Each model version's drift reference, and the sample it is built from while collecting. */
export interface ReferenceStore {
  getReference(model: string, version: string): Promise<string | null>;
  /**
   * Stores a reference; with onlyIfAbsent, keeps an existing one and returns false. Deletes the
   * sample list. `idleMs`: the reference expires this long after (each apply of the version refreshes it).
   */
  setReference(model: string, version: string, json: string, options?: { onlyIfAbsent?: boolean; idleMs?: number }): Promise<boolean>;
  readReferenceSample(model: string, version: string): Promise<string[]>;
}

/**
 * Every port together, for the wiring that opens one state and hands each consumer the ports it
 * uses (shared/pipeline/services.ts), and for the contract test.
 */
export interface MonitorState extends JoinState, DriftWindows, EvaluationState, Outbox, ReferenceStore {
  close(): Promise<void>;
}
