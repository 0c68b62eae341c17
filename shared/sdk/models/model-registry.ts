// The models registry as the models topic tells it: every model's versions with their latest
// status, metrics and lineage, and the current champion (same rule as ModelWatcher, see
// champion.ts). Read from the topic's beginning to its end offsets at the time of the call,
// outside any consumer group. Also publishRollback(), the operator's "make version N the
// champion again". No tfjs here: the CLI and dashboards use it.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { BusMessage, EventBus, LogReader } from '../../bus/types.js';
import { Codec, CodecError, type ModelEvent, type ModelEventInput, type ModelStatus } from '../../codec/index.js';
import { silentLogger } from '../../log/logger.js';
import { topicNames, type TopicNames } from '../../topics.js';
import type { ModelStore } from '../../models/model-store.js';
import { publishModelEvent } from '../../models/publish-model-event.js';
import { ChampionTracker } from '../../models/champion-tracker.js';

export interface ModelVersionView {
  version: string;
  /** Status of the version's latest event. */
  status: ModelStatus;
  parentVersion: string | null;
  /** The version's own metrics (challengerMetrics of its latest event that had any). */
  metrics: Record<string, number>;
  /** The champion's metrics on the same test split, from the same event. */
  championMetrics: Record<string, number>;
  /** Promotion metric the decision was made on. */
  metric: string | null;
  reason: string | null;
  trigger: ModelEvent['trigger'];
  incidentId: string | null;
  fencingToken: number | null;
  artifactUri: string;
  trainingSize: number;
  variants: string[];
  backend: string | null;
  /** Time of the first and the latest event about the version (ms since epoch). */
  firstSeen: number;
  time: number;
  /** The latest event was a PROMOTED ignored for its stale fencing token. */
  stale: boolean;
  /** Every event about the version, in topic order. */
  history: { status: ModelStatus; time: number; reason: string | null; offset: number }[];
}

export interface ModelView {
  model: string;
  /** Current champion version, or null when none was promoted yet. */
  champion: string | null;
  /** When the champion became champion. */
  championSince: number | null;
  /** Ordered by version number. */
  versions: ModelVersionView[];
  /** PROMOTED events ignored for a stale fencing token. */
  stalePromotions: { version: string; fencingToken: number; highestToken: number; offset: number }[];
}

export interface ModelRegistryView {
  /** Ordered by model name. */
  models: ModelView[];
  events: number;
  /** Messages that could not be decoded as model events (skipped). */
  undecodable: number;
}

export interface ReadRegistryOptions {
  bus: EventBus & Partial<LogReader>;
  topics?: TopicNames;
  codec?: Codec;
  logger?: Logger;
  signal?: AbortSignal;
  /**
   * Only for a bus without readFrom: how long to wait for a first batch before the topic
   * counts as empty (a consumer group's first join takes a few seconds on Kafka).
   */
  emptyAfterMs?: number;
}

/** Version order: numerically when both are numbers, else by string. */
export function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One model's registry state, fed its model events in topic order (the console applies live
 * events to it one by one, readModelRegistry a whole read of the topic).
 */
export class ModelAccumulator {
  readonly tracker = new ChampionTracker();
  readonly versions = new Map<string, ModelVersionView>();
  championSince: number | null = null;
  readonly stale: ModelView['stalePromotions'] = [];

  apply(event: ModelEvent, offset: number): void {
    const decision = this.tracker.apply(event);
    if (decision.kind === 'stale') {
      this.stale.push({ version: decision.version, fencingToken: decision.fencingToken, highestToken: decision.highestToken, offset });
    } else if (decision.kind === 'champion') {
      this.championSince = event.time;
    }
    const known = this.versions.get(event.version);
    const hasMetrics = Object.keys(event.challengerMetrics).length > 0;
    const view: ModelVersionView = {
      version: event.version,
      status: event.status,
      parentVersion: event.parentVersion ?? known?.parentVersion ?? null,
      metrics: hasMetrics ? event.challengerMetrics : (known?.metrics ?? {}),
      championMetrics: hasMetrics ? event.championMetrics : (known?.championMetrics ?? {}),
      metric: event.metric ?? known?.metric ?? null,
      reason: event.reason,
      trigger: event.trigger,
      incidentId: event.incidentId ?? known?.incidentId ?? null,
      fencingToken: event.fencingToken ?? known?.fencingToken ?? null,
      artifactUri: event.artifactUri,
      trainingSize: event.trainingSize || known?.trainingSize || 0,
      variants: event.variants.length > 0 ? event.variants.map((v) => v.precision) : (known?.variants ?? []),
      backend: event.backend ?? known?.backend ?? null,
      firstSeen: known?.firstSeen ?? event.time,
      time: event.time,
      stale: decision.kind === 'stale',
      history: [...(known?.history ?? []), { status: event.status, time: event.time, reason: event.reason, offset }],
    };
    // A stale PROMOTED stays in the history but does not change a known version's status.
    if (decision.kind === 'stale' && known) {
      view.status = known.status;
      view.stale = false;
    }
    this.versions.set(event.version, view);
  }

  view(model: string): ModelView {
    return {
      model,
      champion: this.tracker.champion,
      championSince: this.tracker.champion === null ? null : this.championSince,
      versions: [...this.versions.values()].sort((a, b) => compareVersions(a.version, b.version)),
      stalePromotions: this.stale,
    };
  }
}

/** Reads the whole models topic (to its end at the time of the call) into a registry view. */
export async function readModelRegistry(options: ReadRegistryOptions): Promise<ModelRegistryView> {
  const codec = options.codec ?? new Codec();
  const topics = options.topics ?? topicNames();
  const logger = options.logger ?? silentLogger();
  const models = new Map<string, ModelAccumulator>();
  let events = 0;
  let undecodable = 0;
  const onMessages = (messages: BusMessage[]): void => {
    for (const message of messages) {
      let event: ModelEvent;
      try {
        event = codec.decode('model', message.value, message.headers);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        undecodable += 1;
        logger.warn({ offset: message.offset, reason: error.reason }, 'undecodable model event skipped');
        continue;
      }
      events += 1;
      let acc = models.get(event.model);
      if (!acc) models.set(event.model, (acc = new ModelAccumulator()));
      acc.apply(event, message.offset);
    }
  };
  if (typeof options.bus.readFrom === 'function') {
    await options.bus.readFrom(topics.models, 0, onMessages, options.signal ? { signal: options.signal } : {});
  } else {
    await readToEndWithGroup(options.bus, topics.models, onMessages, options.emptyAfterMs ?? 10_000);
  }
  return {
    models: [...models.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([model, acc]) => acc.view(model)),
    events,
    undecodable,
  };
}

/** Fallback for a bus without LogReader: a throwaway group from the beginning to the high watermark. */
async function readToEndWithGroup(
  bus: EventBus,
  topic: string,
  onMessages: (messages: BusMessage[]) => void,
  emptyAfterMs: number,
): Promise<void> {
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  let seen = false;
  const timer = setTimeout(() => {
    if (!seen) finish();
  }, emptyAfterMs);
  const subscription = await bus.subscribe({
    groupId: `${topic}-registry-${randomUUID()}`,
    topics: [topic],
    fromBeginning: true,
    handler: async (batch) => {
      seen = true;
      try {
        onMessages(batch.messages);
      } catch (error) {
        fail(error);
      }
      if (batch.highWatermark === undefined || batch.lastOffset + 1 >= batch.highWatermark) finish();
    },
  });
  try {
    await done;
  } finally {
    clearTimeout(timer);
    await subscription.stop();
  }
}

export interface RollbackOptions {
  bus: EventBus;
  store: ModelStore;
  model: string;
  version: string;
  reason?: string;
  topics?: TopicNames;
  codec?: Codec;
  /** Event time (default now). */
  now?: () => number;
}

/**
 * Makes a stored version the champion again: verifies it (manifest readable, every file's
 * sha256 matches; throws the store's ModelNotFoundError / IntegrityError otherwise), then
 * publishes ROLLED_BACK keyed by the model, with the version's training profile as the
 * reference profile so the drift service resets its reference to it.
 */
export async function publishRollback(options: RollbackOptions): Promise<ModelEventInput> {
  const { store, model, version } = options;
  const manifest = await store.manifest(model, version);
  // Every file, variants included: a rollback target must be whole.
  for (const path of Object.keys(manifest.files)) await store.readFile(model, version, path);
  const topics = options.topics ?? topicNames();
  const codec = options.codec ?? new Codec();
  const event: ModelEventInput = {
    model,
    version,
    status: 'ROLLED_BACK',
    parentVersion: manifest.parentVersion ?? null,
    artifactUri: store.uri(model, version),
    trigger: { kind: 'MANUAL', alertId: null },
    trainingSize: manifest.split.train.size,
    referenceProfile: manifest.trainingProfile,
    time: (options.now ?? Date.now)(),
    reason: options.reason ?? `manual rollback to version ${version}`,
    metric: null,
    incidentId: null,
    fencingToken: null,
    variants: [],
    backend: manifest.backend ?? null,
  };
  await publishModelEvent(options.bus, codec, topics.models, event);
  return event;
}
