// The console service: the history (rebuilt from the log, then followed live), the user-facing
// HTTP server and the ops server (/healthz, /readyz — failing until the rebuild is done —,
// /metrics). Distributed, it connects its own KafkaBus; embedded, it is handed the process's
// MemoryBus. It keeps no state anywhere but memory: a restart rebuilds it from the topics.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { KafkaBus } from '../bus/kafka-bus.js';
import { shutdownOnSignals } from '../bus/shutdown.js';
import type { EventBus, LogReader } from '../bus/types.js';
import { Codec } from '../codec/index.js';
import type { MonitoringConfig } from '../config/monitoring-config.js';
import type { RuntimeConfig } from '../config/runtime-config.js';
import type { ModelStore } from '../models/model-store.js';
import { startOpsServer, type OpsServer, type Probe } from '../runtime/ops-server.js';
import { kafkaProbe } from '../runtime/probes.js';
import { topicNames, topicSpecs } from '../topics.js';
import { apiRoutes } from './api-routes.js';
import { consoleActions } from './console-actions.js';
import type { ConsoleConfig } from './console-config.js';
import { ConsoleHistory } from './console-history.js';
import { createConsoleMetrics, type ConsoleMetrics } from './console-metrics.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { driftMinCountByHorizon } from './drift-min-count.js';
import { EventFeed } from './event-feed.js';
import { SseHub, PING_EVERY_MS } from './sse-hub.js';
import { StaticAssets } from './static-assets.js';

/** How often what fell out of the history is dropped. */
const PRUNE_EVERY_MS = 60_000;

export interface StartConsoleOptions {
  runtime: RuntimeConfig;
  console: ConsoleConfig;
  /** For GET /api/config's minCount; none = {}. */
  monitoring?: MonitoringConfig;
  /** Where rollback targets are verified (the retrainer's store). */
  models: ModelStore;
  logger: Logger;
  /** The process's bus (embedded); distributed, a KafkaBus is connected and closed by the console. */
  bus?: EventBus & LogReader;
  /** The ops server's port; false for none (embedded demo). */
  ops?: { port: number; host?: string } | false;
  /** Default: console-<host>-<random>, a group of this instance's own. */
  groupId?: string;
  pageDir?: string;
  now?: () => number;
  fetch?: typeof fetch;
  pingEveryMs?: number;
  /** Process metrics in the registry (default true; false when several run in one process). */
  processMetrics?: boolean;
  /** Install SIGTERM/SIGINT handlers that stop the console (services/console/main.ts). */
  handleSignals?: boolean;
  /** The rebuild or the live consumer failed for good (main.ts exits non-zero). */
  onFatal?: (error: Error) => void;
}

export interface ConsoleHandle {
  readonly url: string;
  readonly port: number;
  readonly opsPort: number | undefined;
  readonly history: ConsoleHistory;
  readonly metrics: ConsoleMetrics;
  readonly groupId: string;
  /** Resolves when the history is rebuilt and the live consumer joined (rejects if that failed). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startConsole(options: StartConsoleOptions): Promise<ConsoleHandle> {
  const { runtime, logger } = options;
  const config = options.console;
  const now = options.now ?? Date.now;
  const topics = topicNames(runtime.topics.prefix);
  const codec = new Codec({ validation: { maxEventSkewMs: runtime.maxEventSkewMs } });
  const history = new ConsoleHistory(config, now);
  const metrics = createConsoleMetrics(() => history.sizes(), { processMetrics: options.processMetrics ?? true });
  const groupId = options.groupId ?? `${runtime.topics.prefix}console-${hostname()}-${randomUUID().slice(0, 8)}`;
  const cleanups: { what: string; run: () => Promise<void> }[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const { what, run } of cleanups.splice(0).reverse()) {
      await run().catch((error: unknown) => logger.error({ err: error, what }, 'error while stopping'));
    }
  };

  try {
    let bus = options.bus;
    const probes: Record<string, Probe> = {};
    if (!bus) {
      const connected = await KafkaBus.connect({
        brokers: runtime.kafka.brokers,
        clientId: runtime.kafka.clientId,
        security: { ssl: runtime.kafka.ssl, ...(runtime.kafka.sasl ? { sasl: runtime.kafka.sasl } : {}) },
        logger,
      });
      cleanups.push({ what: 'kafka bus', run: () => connected.close() });
      bus = connected;
      const kafka = kafkaProbe(runtime.kafka.brokers, runtime.kafka.clientId, { ssl: runtime.kafka.ssl, ...(runtime.kafka.sasl ? { sasl: runtime.kafka.sasl } : {}) });
      cleanups.push({ what: 'kafka probe', run: () => kafka.close() });
      probes.kafka = kafka.probe;
    }
    // As every service does: the topics exist before anyone reads them.
    await bus.ensureTopics(topicSpecs(topics, runtime.topics.partitions, { retentionMs: runtime.topicRetentionMs }));

    const sse = new SseHub(options.pingEveryMs ?? PING_EVERY_MS, (n) => metrics.sseClients.set(n));
    let rebuilt = false;
    const feed = new EventFeed({
      bus,
      topics,
      codec,
      history,
      metrics,
      logger,
      groupId,
      now,
      onEvent: (event) => sse.publish(event),
      onFailed: (error) => {
        logger.error({ err: error }, `console live consumer failed for good: ${error.message}`);
        options.onFatal?.(error);
      },
    });
    probes.rebuilt = async () => {
      if (!rebuilt) throw new Error('rebuilding the history from the log');
      const problem = feed.problem();
      if (problem !== null) throw new Error(problem);
    };

    let opsPort: number | undefined;
    if (options.ops !== false) {
      const ops: OpsServer = await startOpsServer({ port: options.ops?.port ?? 0, ...(options.ops?.host ? { host: options.ops.host } : {}), registry: metrics.registry, probes, logger });
      cleanups.push({ what: 'ops server', run: () => ops.close() });
      opsPort = ops.port;
    }
    const monitoring = options.monitoring;
    const minCountOf = (model: string): Record<string, number> => (monitoring ? driftMinCountByHorizon(monitoring, model) : {});
    // No model named: the defaults section decides (a model's own rules may differ).
    const minCount = minCountOf('\u0000defaults');
    const routes = apiRoutes({
      history,
      actions: consoleActions({ bus, codec, topics, models: options.models, retrainerUrl: config.retrainerUrl, ...(options.fetch ? { fetch: options.fetch } : {}) }),
      minCountOf,
      config: () => ({ minCount, historyMs: config.historyMs, startedFrom: feed.startedFrom, auth: config.token !== null }),
    });
    const server: ConsoleServer = await startConsoleServer({
      port: config.port,
      host: config.host,
      token: config.token,
      routes,
      sse,
      assets: new StaticAssets(options.pageDir),
      unavailable: () => (rebuilt ? null : 'the console is still rebuilding its history from the log; try again in a moment'),
      logger,
    });
    cleanups.push({ what: 'console server', run: () => server.close() });
    cleanups.push({ what: 'live consumer', run: () => feed.stop() });
    const pruner = setInterval(() => history.prune(), PRUNE_EVERY_MS);
    pruner.unref();
    cleanups.push({ what: 'pruner', run: async () => clearInterval(pruner) });

    const rebuildStart = Date.now();
    const rebuild = new AbortController();
    cleanups.push({ what: 'rebuild', run: async () => rebuild.abort(new Error('console stopping')) });
    const ready = feed.start(rebuild.signal).then(({ messages }) => {
      rebuilt = true;
      const seconds = (Date.now() - rebuildStart) / 1000;
      metrics.rebuildSeconds.set(seconds);
      logger.info({ messages, seconds, sizes: history.sizes(), from: feed.startedFrom, group: groupId }, 'console history rebuilt from the log; following live');
    });
    ready.catch((error: unknown) => {
      if (rebuild.signal.aborted) return;
      logger.error({ err: error }, `console rebuild failed: ${(error as Error).message}`);
      options.onFatal?.(error as Error);
    });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= cleanUp().then(() => logger.info('console stopped')));
    if (options.handleSignals) {
      const uninstall = shutdownOnSignals([{ close: stop }], logger);
      cleanups.push({ what: 'signal handlers', run: async () => uninstall() });
    }
    return { url: server.url, port: server.port, opsPort, history, metrics, groupId, ready, stop };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
