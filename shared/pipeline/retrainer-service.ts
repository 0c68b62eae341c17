// The retrainer as a runService definition: alerts become pending triggers, the scheduler
// runs retrains under the model's lock, metrics snapshots of promoted versions verify them.
// HTTP: GET /incidents[/<model>[/<id>]], POST /retrain/<model>.
import { hostname } from 'node:os';
import { Counter, Histogram } from 'prom-client';
import type { EventBus, LogReader } from '../bus/types.js';
import type { Alert, IncidentTrigger } from '../codec/events.generated.js';
import { resolveModelConfig, type ModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';
import type { ModelStore } from '../models/model-store.js';
import type { DecodedMessage } from '../runtime/decode.js';
import type { OpsRoute } from '../runtime/ops-server.js';
import { runService, type RunServiceOptions, type ServiceContext, type ServiceHandle } from '../runtime/run-service.js';
import { readChampion } from '../retrain/read-champion.js';
import type { IncidentStore } from '../retrain/incident-store.js';
import { MemoryIncidentStore } from '../retrain/memory-incident-store.js';
import { RedisIncidentStore } from '../retrain/redis-incident-store.js';
import { matchesTrigger } from '../retrain/policy.js';
import { runRetrain } from '../retrain/retrain-job.js';
import { MemoryRetrainLocks, RedisRetrainLocks, type RetrainLocks } from '../retrain/retrain-lock.js';
import { MemoryRetrainQueue, RedisRetrainQueue, type RetrainQueue } from '../retrain/retrain-queue.js';
import { RetrainScheduler } from '../retrain/scheduler.js';
import { verify } from '../retrain/verification.js';
import { defaultGroupId } from './services.js';

export const RETRAINER_GROUP = 'retrainer';

export type RetrainerServiceOptions = Omit<RunServiceOptions, 'name' | 'subscriptions' | 'onStart' | 'onStop' | 'routes'> & {
  monitoring: MonitoringConfig;
  models: ModelStore;
  groupId?: string;
  /** Lock expiry; a killed instance's retrain is retried this long after it died. Default 30 s. */
  lockTtlMs?: number;
  /** How often due triggers are looked for. Default 1 s. */
  tickMs?: number;
};

export interface RetrainerHandle extends ServiceHandle {
  readonly incidents: IncidentStore;
  /** Records a manual trigger, as POST /retrain/<model> does. */
  retrain(model: string): Promise<void>;
}

interface RetrainerState {
  queue: RetrainQueue;
  locks: RetrainLocks;
  incidents: IncidentStore;
  scheduler: RetrainScheduler;
}

export async function startRetrainerService(options: RetrainerServiceOptions): Promise<RetrainerHandle> {
  const groupId = options.groupId ?? defaultGroupId(options.config.topics.prefix, RETRAINER_GROUP);
  const owner = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const modelConfig = (model: string) => resolveModelConfig(options.monitoring, model);
  let state: RetrainerState | undefined;
  const ready = (): RetrainerState => {
    if (state === undefined) throw new Error('the retrainer is not started');
    return state;
  };

  const manual = async (model: string): Promise<void> => {
    const trigger: IncidentTrigger = {
      alertId: null, kind: 'MANUAL', severity: null, metric: null, feature: null, value: null, threshold: null, windowStart: null, windowEnd: null,
    };
    await ready().queue.record(model, trigger, { debounceMs: 0, cooldownMs: 0, now: Date.now(), manual: true });
  };

  const handle = await runService({
    ...options,
    name: 'retrainer',
    onStart: async (service) => {
      const retrainMetrics = createRetrainMetrics(service);
      const store = service.store;
      // Deployments sharing a Redis keep their retrain queues and incident lists apart.
      const namespace = service.config.topics.prefix;
      const incidents = store.mode === 'distributed' ? new RedisIncidentStore(store.redis, namespace) : new MemoryIncidentStore(store.keyspace, namespace);
      const queue = store.mode === 'distributed' ? new RedisRetrainQueue(store.redis, namespace) : new MemoryRetrainQueue(store.keyspace, namespace);
      const locks = store.mode === 'distributed' ? new RedisRetrainLocks(store.redis) : new MemoryRetrainLocks(store.keyspace);
      const bus = service.bus as EventBus & LogReader;
      let backendExported = false;
      const scheduler = new RetrainScheduler({
        queue,
        locks,
        owner,
        lockTtlMs: options.lockTtlMs ?? 30_000,
        tickMs: options.tickMs ?? 1_000,
        logger: service.logger,
        run: async (request) => {
          const endTimer = retrainMetrics.duration.startTimer();
          const incident = await runRetrain(
            {
              bus,
              codec: service.codec,
              topics: service.topics,
              store: options.models,
              incidents,
              logger: service.logger,
              modelConfig,
              champion: (model) => readChampion({ reader: bus, codec: service.codec, topic: service.topics.models, store: options.models, model }),
              train: async (request) => {
                // Loaded on the first retrain: a retrainer that never trains never loads tfjs.
                const [{ trainChallenger }, tf] = await Promise.all([import('../retrain/train-challenger.js'), import('../learning/tf.js')]);
                if (!backendExported) {
                  tf.registerTfBackendGauge(service.metrics.registry, (await tf.loadTf({ logger: service.logger })).backend);
                  backendExported = true;
                }
                return trainChallenger(request);
              },
            },
            request,
          );
          endTimer({ status: incident.status });
          retrainMetrics.retrains.inc({ status: incident.status });
          return incident;
        },
      });
      state = { queue, locks, incidents, scheduler };
      scheduler.start();
    },
    onStop: async () => {
      await state?.scheduler.stop();
    },
    routes: () => incidentRoutes(() => ready().incidents, manual),
    subscriptions: (service) => [
      { groupId, topics: [service.topics.alerts], handler: async (batch) => {
        for (const { event } of await service.decodeOrDeadLetter(batch, 'alert')) await onAlert(service, ready().queue, modelConfig, event);
      } },
      // Verification follows the promoted versions' metrics snapshots; every instance may verify.
      { groupId: `${groupId}-verify`, topics: [service.topics.metrics], fromBeginning: false, handler: async (batch) => {
        await verifySnapshots(service, ready().incidents, modelConfig, await service.decodeOrDeadLetter(batch, 'metricsSnapshot'));
      } },
    ],
  });
  return { ...handle, get incidents() { return ready().incidents; }, retrain: manual };
}

async function onAlert(service: ServiceContext, queue: RetrainQueue, modelConfig: (model: string) => ModelConfig, alert: Alert): Promise<void> {
  const policy = modelConfig(alert.model).retrain;
  if (!policy.enabled || !matchesTrigger(policy, alert)) return;
  const result = await queue.record(alert.model, triggerOf(alert), {
    debounceMs: policy.debounceMs,
    cooldownMs: policy.cooldownMs,
    now: Date.now(),
    manual: false,
  });
  service.logger.info({ model: alert.model, alert: alert.id, kind: alert.kind, ...result }, result.recorded ? 'retrain trigger recorded' : 'retrain trigger dropped');
}

function triggerOf(alert: Alert): IncidentTrigger {
  return {
    alertId: alert.id,
    kind: alert.kind,
    severity: alert.severity,
    metric: alert.metric,
    feature: alert.feature,
    value: alert.value,
    threshold: alert.threshold,
    windowStart: alert.window.start,
    windowEnd: alert.window.end,
  };
}

async function verifySnapshots(
  service: ServiceContext,
  incidents: IncidentStore,
  modelConfig: (model: string) => ModelConfig,
  snapshots: DecodedMessage<'metricsSnapshot'>[],
): Promise<void> {
  const seen = new Set<string>();
  for (const { event: snapshot } of snapshots) {
    const key = `${snapshot.model}|${snapshot.modelVersion}`;
    if (seen.has(key)) continue;
    const incident = await incidents.awaitingVerification(snapshot.model, snapshot.modelVersion);
    if (incident === null || incident.verification === null || incident.metric === null) {
      seen.add(key);
      continue;
    }
    const verification = verify(
      {
        model: incident.model,
        version: snapshot.modelVersion,
        metric: incident.metric,
        baseline: incident.verification.baseline,
        tolerance: incident.verification.tolerance,
        verifyAfter: modelConfig(incident.model).retrain.verifyAfter,
      },
      snapshot,
    );
    if (verification === null) continue;
    seen.add(key);
    const done = { ...incident, status: verification.status, verification, updatedAt: Date.now() };
    await incidents.save(done);
    const encoded = service.codec.encode('incident', done);
    await service.bus.publish(service.topics.incidents, [{ key: done.id, value: encoded.value, headers: encoded.headers }]);
    service.logger.info({ model: done.model, version: snapshot.modelVersion, ...verification }, 'retrain verified');
  }
}

function incidentRoutes(incidents: () => IncidentStore, retrain: (model: string) => Promise<void>): OpsRoute[] {
  return [
    {
      method: 'GET',
      path: /^\/incidents\/?$/,
      handle: async (_match, query) => {
        const store = incidents();
        const limit = Number(query.get('limit') ?? 20);
        const all = await Promise.all((await store.models()).map((m) => store.list(m, limit)));
        return { status: 200, body: all.flat().sort((a, b) => b.openedAt - a.openedAt).slice(0, limit) };
      },
    },
    {
      method: 'GET',
      path: /^\/incidents\/([^/]+)\/?$/,
      handle: async (match, query) => ({ status: 200, body: await incidents().list(decodeURIComponent(match[1]!), Number(query.get('limit') ?? 20)) }),
    },
    {
      method: 'GET',
      path: /^\/incidents\/([^/]+)\/([^/]+)$/,
      handle: async (match) => {
        const incident = await incidents().get(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!));
        return incident === null ? { status: 404, body: { error: 'no such incident' } } : { status: 200, body: incident };
      },
    },
    {
      method: 'POST',
      path: /^\/retrain\/([^/]+)$/,
      handle: async (match) => {
        const model = decodeURIComponent(match[1]!);
        await retrain(model);
        return { status: 202, body: { model, status: 'pending' } };
      },
    },
  ];
}

function createRetrainMetrics(service: ServiceContext) {
  const registers = [service.metrics.registry];
  return {
    duration: new Histogram({
      name: 'driftwatch_retrain_duration_seconds',
      help: 'Wall time of one retrain, trigger taken to decision, by final incident status.',
      labelNames: ['status'] as const,
      buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
      registers,
    }),
    retrains: new Counter({
      name: 'driftwatch_retrains_total',
      help: 'Retrains run, by final incident status (PROMOTED, REJECTED, FAILED).',
      labelNames: ['status'] as const,
      registers,
    }),
  };
}
