// The wiring every driftwatch service shares: logger, bus, state connection, topics,
// ops HTTP server, subscriptions with metrics around each batch, graceful shutdown.
// A service supplies its name and its batch handlers; everything else is here once.
//
// Ownership: what runService creates it also closes; what the caller injects (the embedded
// process's shared MemoryBus and MemoryKeyspace, a test's Redis client) the caller closes.
import type { Logger } from 'pino';
import { KafkaBus } from '../bus/kafka-bus.js';
import type { KafkaBusOptions, KafkaSecurity } from '../bus/kafka-bus.js';
import { shutdownOnSignals } from '../bus/shutdown.js';
import type { Batch, BatchContext, EventBus, PartitionStart, SubscribeOptions, Subscription } from '../bus/types.js';
import { Codec } from '../codec/codec.js';
import type { EventType } from '../codec/index.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import { createLogger, markReported } from '../log/logger.js';
import type { MemoryKeyspace } from '../store/memory-store.js';
import { connectRedis } from '../store/redis-connection.js';
import type { RedisClient } from '../store/redis-connection.js';
import { topicNames, topicSpecs } from '../topics.js';
import type { TopicNames } from '../topics.js';
import { DeadLetterPublisher } from './dead-letters.js';
import { decodeBatch } from './decode.js';
import type { DecodedMessage, PredictionView } from './decode.js';
import { createServiceMetrics, recordHandledBatch } from './metrics.js';
import type { ServiceMetrics } from './metrics.js';
import { startOpsServer } from './ops-server.js';
import type { OpsRoute, OpsServer, Probe } from './ops-server.js';
import { ConsumerHealth, DEFAULT_STUCK_AFTER_MS } from './consumer-health.js';
import { kafkaProbe, redisProbe } from './probes.js';
import { RedisProgress, type RecordedProgress } from './redis-progress.js';
import type { KafkaProbe } from './probes.js';

/** Where the service keeps its state: Redis when distributed, the shared keyspace when embedded. */
export type ServiceStore = { mode: 'distributed'; redis: RedisClient } | { mode: 'embedded'; keyspace: MemoryKeyspace };

/** What a service's handlers and hooks get to work with. */
export interface ServiceContext {
  readonly name: string;
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly store: ServiceStore;
  readonly codec: Codec;
  readonly topics: TopicNames;
  readonly metrics: ServiceMetrics;
  readonly deadLetters: DeadLetterPublisher;
  /** How decodeOrDeadLetter reads predictions (RunServiceOptions.predictionView). */
  readonly predictionView: PredictionView;
  /**
   * Decodes a batch as `type`, publishes the messages that do not decode to the DLQ (before
   * returning, so before the batch can commit) and returns the valid events in offset order.
   */
  decodeOrDeadLetter<K extends EventType>(batch: Batch, type: K): Promise<DecodedMessage<K>[]>;
}

export interface ServiceSubscription {
  groupId: string;
  topics: string[];
  handler: (batch: Batch, ctx: BatchContext) => Promise<void>;
  /** Default true: a new group reads the topics from their start. */
  fromBeginning?: boolean;
  /**
   * Redis, not Kafka, is the source of truth for this group's progress (distributed mode; the
   * monitors' main subscriptions): each handled batch records its partition's offset in Redis
   * before the commit, each assignment resumes from Redis's record, and a Redis that lost its
   * data stops the subscription and readiness (redis-progress.ts).
   */
  trackProgress?: boolean;
  /**
   * SubscribeOptions.partitionsConcurrently (default 1): only for a handler that is safe for
   * different partitions side by side (the monitors, DW_PARTITIONS_CONCURRENTLY).
   */
  partitionsConcurrently?: number;
  /** SubscribeOptions.coPartitioned: one member owns the same partition numbers of every topic. */
  coPartitioned?: boolean;
  /**
   * A subscriber that keeps per-partition state in memory and rebuilds it from the log on
   * assignment (the performance service's join): it decides where each partition resumes, from
   * Redis's record when progress is tracked, and says what to record beside the progress.
   */
  rebuild?: PartitionRebuild;
  /** Readiness probes of the subscription's handler (added to /readyz beside the built-in ones). */
  probes?: Record<string, Probe>;
}

export interface PartitionRebuild {
  /** SubscribeOptions.startOffset, given what Redis recorded (both null without progress tracking). */
  startOffset(start: PartitionStart, recorded: RecordedProgress): number | null;
  /** Where a rebuild must start now, by topic, for the batch's partition number: recorded with the batch's progress. */
  rebuildFrom(batch: Batch): Readonly<Record<string, number>>;
  /** The offset Redis holds everything of the batch's partition through (the batch's last, or less for work it deferred). */
  appliedThrough(batch: Batch): number;
  /** SubscribeOptions.onAssigned: the member's partitions now; state of the others can go. */
  assigned?(assignment: Readonly<Record<string, readonly number[]>>): void;
}

export interface RunServiceOptions {
  /** Names the logger, the metrics' `service` label, the dead letters' `service` field. */
  name: string;
  config: RuntimeConfig;
  /** A function when the handlers need the context (its bus, store, decoder); called after onStart. */
  subscriptions: ServiceSubscription[] | ((service: ServiceContext) => ServiceSubscription[]);
  /** Runs after topics exist and before subscribing. */
  onStart?: (service: ServiceContext) => Promise<void>;
  /** Runs after the subscriptions stopped (their last batches committed), before connections close. */
  onStop?: (service: ServiceContext) => Promise<void>;
  /** Readiness checks beyond the built-in ones (Kafka and Redis when distributed, consuming). */
  probes?: Record<string, Probe>;
  /** Endpoints of the service's own beside /healthz, /readyz and /metrics; a function when they need the context. */
  routes?: (service: ServiceContext) => OpsRoute[];
  /** The ops HTTP server; false for none (replay). Default: port from DW_HTTP_PORT, else random. */
  http?: { port: number; host?: string } | false;
  /** Required when embedded (the process's one MemoryBus); optional when distributed. */
  bus?: EventBus;
  /** Required when embedded (the process's one MemoryKeyspace). */
  keyspace?: MemoryKeyspace;
  /** A Redis client to use instead of connecting one (distributed). */
  redis?: RedisClient;
  /** Default: a Codec with the config's event-time skew (DW_MAX_EVENT_SKEW_MS). */
  codec?: Codec;
  /**
   * How decodeOrDeadLetter reads predictions. Default 'full'. 'withoutFeatures' leaves the
   * four feature maps out for a service that never reads them: the performance service, whose
   * items are typed PredictionWithoutFeatures (decode.ts). What is refused, and why, does not change.
   */
  predictionView?: PredictionView;
  logger?: Logger;
  /** Consumer tuning of the KafkaBus runService creates (tests shorten session timeouts). */
  kafkaConsumer?: KafkaBusOptions['consumer'];
  /** A batch in a handler longer than this makes /readyz 503; default config.stuckAfterMs, else 120 s. */
  stuckAfterMs?: number;
  /**
   * Called once when a subscription's consumer crashed and will not restart (the service is
   * then not ready, and stays so: nothing consumes that subscription any more). Library use
   * (tests, an embedding application) decides here; the services' main.ts pass `exitOnFatal()`, so
   * the process stops and exits non-zero and its supervisor starts a fresh one. Without it the
   * service only logs and reports not ready.
   */
  onFatal?: FatalHandler;
}

export type FatalHandler = (error: Error, service: { name: string; logger: Logger; stop(): Promise<void> }) => void;

/**
 * The services' onFatal: stops gracefully (bounded by `graceMs`), then exits with status 1 so
 * a supervisor (compose `restart:`, Kubernetes, systemd) restarts the process.
 */
export function exitOnFatal(graceMs = 15_000): FatalHandler {
  return (error, service) => {
    // The cause in the message itself: this is the line an operator finds (e.g. a rotated SASL password).
    service.logger.fatal({ err: error }, `${service.name}: a consumer failed for good (${error.message}); stopping and exiting with status 1`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), graceMs).unref();
    void service.stop().finally(() => process.exit(1));
  };
}

export interface ServiceHandle {
  readonly context: ServiceContext;
  readonly metrics: ServiceMetrics;
  /** The ops server's port; undefined with `http: false`. */
  readonly port: number | undefined;
  /** Graceful: in-flight batches (one per partition) finish and commit, then everything runService opened closes. */
  stop(): Promise<void>;
}

/** DW_HTTP_PORT if set, else `fallback` (services pass their default, e.g. 9464). */
export function opsPortFromEnv(env: NodeJS.ProcessEnv = process.env, fallback = 0): number {
  const text = env.DW_HTTP_PORT;
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`DW_HTTP_PORT must be a port number (0-65535), got "${text}"`);
  }
  return port;
}

export async function runService(options: RunServiceOptions): Promise<ServiceHandle> {
  const { name, config } = options;
  const logger = options.logger ?? createLogger(name, { level: config.logLevel });
  // Undone in reverse order on stop, or on a failed start.
  const cleanups: { what: string; run: () => Promise<void> }[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      await run().catch((error: unknown) => logger.error({ err: error, what }, 'error while stopping'));
    }
  };

  try {
    const metrics = createServiceMetrics(name);
    const codec = options.codec ?? new Codec({ validation: { maxEventSkewMs: config.maxEventSkewMs } });
    const predictionView = options.predictionView ?? 'full';
    const topics = topicNames(config.topics.prefix);
    const probes: Record<string, Probe> = {};

    const bus = await openBus(options, logger, cleanups);
    const store = await openStore(options, logger, cleanups);
    if (config.mode === 'distributed') {
      const kafka: KafkaProbe = kafkaProbe(config.kafka.brokers, config.kafka.clientId, kafkaSecurity(config));
      cleanups.push({ what: 'kafka probe', run: () => kafka.close() });
      probes.kafka = kafka.probe;
    }
    if (store.mode === 'distributed') probes.redis = redisProbe(store.redis);
    // Opened, and probed, only once a subscription tracks its progress in Redis (below): a probe
    // of a progress record nothing opened would answer ready whatever became of Redis.
    const progress = store.mode === 'distributed' ? new RedisProgress(store.redis, name, logger) : null;

    await bus.ensureTopics(topicSpecs(topics, config.topics.partitions, { retentionMs: config.topicRetentionMs }));

    const deadLetters = new DeadLetterPublisher({ bus, codec, topic: topics.dlq, service: name, metrics, logger });
    const context: ServiceContext = {
      name,
      config,
      logger,
      bus,
      store,
      codec,
      topics,
      metrics,
      deadLetters,
      predictionView,
      async decodeOrDeadLetter(batch, type) {
        const { events, dead } = decodeBatch(batch, type, codec, predictionView);
        await deadLetters.publish(dead);
        return events;
      },
    };

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= cleanUp().then(() => logger.info('service stopped')));
    let consuming = false;
    const health: ConsumerHealth[] = [];
    probes.consuming = async () => {
      // A crash first: after one, onFatal's stop clears `consuming`, and the reason must stay visible.
      const problems = health.map((h) => h.problem()).filter((p): p is string => p !== undefined);
      if (problems.length > 0) throw new Error(problems.join('; '));
      if (!consuming) throw new Error('not consuming (starting or stopping)');
    };
    for (const [probeName, probe] of Object.entries(options.probes ?? {})) {
      if (probeName in probes) throw new TypeError(`probe "${probeName}" is built in; give yours another name`);
      probes[probeName] = probe;
    }
    const http = options.http ?? { port: opsPortFromEnv() };
    let server: OpsServer | undefined;
    if (http !== false) {
      server = await startOpsServer({ ...http, registry: metrics.registry, probes, logger, routes: options.routes?.(context) ?? [] });
      const started = server;
      cleanups.push({ what: 'ops server', run: () => started.close() });
    }

    if (options.onStart) await options.onStart(context);
    const onStop = options.onStop;
    if (onStop) cleanups.push({ what: 'onStop', run: () => onStop(context) });

    const specs = typeof options.subscriptions === 'function' ? options.subscriptions(context) : options.subscriptions;
    const subscriptions: Subscription[] = [];
    cleanups.push({
      what: 'subscriptions',
      run: async () => {
        consuming = false;
        await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      },
    });
    const stuckAfterMs = options.stuckAfterMs ?? config.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
    let fatal = false;
    const onFatal = (error: Error): void => {
      // One report per service: the first dead consumer decides; the rest follow from stop().
      if (fatal) return;
      fatal = true;
      logger.error({ err: error }, 'consumer failed for good: not ready until restarted');
      options.onFatal?.(error, { name, logger, stop: () => stop() });
    };
    if (progress && specs.some((spec) => spec.trackProgress)) {
      await progress.open();
      probes.redisProgress = progress.probe;
    }
    for (const spec of specs) {
      for (const [probeName, probe] of Object.entries(spec.probes ?? {})) {
        if (probeName in probes) throw new TypeError(`probe "${probeName}" is taken; give yours another name`);
        probes[probeName] = probe;
      }
      const tracked = spec.trackProgress ? progress : null;
      const tracker = new ConsumerHealth({ group: spec.groupId, stuckAfterMs, onFatal });
      health.push(tracker);
      subscriptions.push(
        await bus.subscribe({
          groupId: spec.groupId,
          topics: spec.topics,
          fromBeginning: spec.fromBeginning ?? true,
          ...(spec.partitionsConcurrently !== undefined ? { partitionsConcurrently: spec.partitionsConcurrently } : {}),
          onStatus: tracker.onStatus,
          ...(spec.coPartitioned ? { coPartitioned: true } : {}),
          ...startOffsetOf(spec, tracked),
          ...(spec.rebuild?.assigned ? { onAssigned: spec.rebuild.assigned.bind(spec.rebuild) } : {}),
          handler: (batch, ctx) =>
            tracker.track(batch, async () => {
              const endTimer = metrics.windowUpdateSeconds.startTimer();
              // A Redis that lost its data gets nothing more: the batch fails before any write.
              tracked?.assertUsable();
              await spec.handler(batch, ctx);
              if (spec.rebuild !== undefined) {
                await tracked?.record(spec.groupId, { ...batch, lastOffset: spec.rebuild.appliedThrough(batch) }, spec.rebuild.rebuildFrom(batch));
              } else {
                await tracked?.record(spec.groupId, batch);
              }
              endTimer();
              recordHandledBatch(metrics, batch);
            }),
        }),
      );
    }
    consuming = true;

    if (config.mode === 'distributed') {
      const uninstall = shutdownOnSignals([{ close: stop }], logger);
      // First to run on stop(), so a signal during a manual stop does not start a second one.
      cleanups.push({ what: 'signal handlers', run: async () => uninstall() });
    }
    logger.info({ mode: config.mode, port: server?.port, groups: specs.map((s) => s.groupId) }, 'service started');
    return { context, metrics, port: server?.port, stop };
  } catch (error) {
    logger.error({ err: error }, `service failed to start: ${error instanceof Error ? error.message : String(error)}`);
    // runMain (services' main.ts) then exits without logging it a second time.
    markReported(error);
    await cleanUp();
    throw error;
  }
}

/** Where a partition resumes: Redis's record, or what a rebuilding subscriber makes of it. */
function startOffsetOf(spec: ServiceSubscription, tracked: RedisProgress | null): Pick<SubscribeOptions, 'startOffset'> {
  const rebuild = spec.rebuild;
  if (rebuild !== undefined) {
    return {
      startOffset: async (start) => rebuild.startOffset(start, tracked ? await tracked.read(spec.groupId, start) : { next: null, from: null }),
    };
  }
  return tracked ? { startOffset: tracked.startOffset(spec.groupId) } : {};
}

async function openBus(
  options: RunServiceOptions,
  logger: Logger,
  cleanups: { what: string; run: () => Promise<void> }[],
): Promise<EventBus> {
  if (options.bus) return options.bus;
  const { config } = options;
  if (config.mode === 'embedded') {
    throw new TypeError(`${options.name}: embedded mode needs the process's shared MemoryBus passed as \`bus\``);
  }
  const bus = await KafkaBus.connect({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    security: kafkaSecurity(config),
    logger,
    ...consumerOptions(options),
  });
  cleanups.push({ what: 'kafka bus', run: () => bus.close() });
  return bus;
}

async function openStore(
  options: RunServiceOptions,
  logger: Logger,
  cleanups: { what: string; run: () => Promise<void> }[],
): Promise<ServiceStore> {
  const { config } = options;
  if (config.mode === 'embedded') {
    if (!options.keyspace) {
      throw new TypeError(`${options.name}: embedded mode needs the process's shared MemoryKeyspace passed as \`keyspace\``);
    }
    return { mode: 'embedded', keyspace: options.keyspace };
  }
  if (options.redis) return { mode: 'distributed', redis: options.redis };
  const redis = await connectRedis(
    {
      url: config.redis.url,
      ...(config.redis.clusterNodes ? { clusterNodes: config.redis.clusterNodes } : {}),
      // REDIS_TLS_CA / _CERT / _KEY / _REJECT_UNAUTHORIZED with a rediss:// URL.
      ...(config.redis.tls ? { tls: config.redis.tls } : {}),
      connectionName: `driftwatch-${options.name}`,
    },
    { logger },
  );
  cleanups.push({
    what: 'redis',
    run: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  });
  return { mode: 'distributed', redis };
}

function kafkaSecurity(config: RuntimeConfig): KafkaSecurity {
  return { ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}) };
}

/** The consumer tuning given in code, else the session timeout from the environment. */
function consumerOptions(options: RunServiceOptions): Pick<KafkaBusOptions, 'consumer'> {
  if (options.kafkaConsumer) return { consumer: options.kafkaConsumer };
  const sessionTimeoutMs = options.config.kafka.sessionTimeoutMs;
  if (sessionTimeoutMs === undefined) return {};
  // kafkajs wants heartbeats well inside the session: a third of it, as Kafka's own default ratio.
  return { consumer: { sessionTimeoutMs, heartbeatIntervalMs: Math.floor(sessionTimeoutMs / 3) } };
}
