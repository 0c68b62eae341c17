// The retrainer as a runService definition: alerts become pending triggers, the scheduler
// runs retrains under the model's lock, metrics snapshots of promoted versions verify them.
// HTTP: GET /incidents[/<model>[/<id>]], POST /retrain/<model>.
import { hostname } from 'node:os';
import { Counter, Histogram } from 'prom-client';
import type { EventBus, LogReader } from '../bus/types.js';
import type { Alert, IncidentTrigger } from '../codec/events.generated.js';
import { resolveModelConfig, type ModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';
import type { ModelStore } from '../models/model-store.js';
import { HttpError } from '../runtime/ops-server.js';
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
import { verifySnapshots } from '../retrain/verify-snapshots.js';
import { retrainerRoutes } from './retrainer-routes.js';
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
    if (state === undefined) throw new HttpError(503, 'the retrainer is starting');
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
    routes: () => retrainerRoutes(() => ready().incidents, manual),
    subscriptions: (service) => [
      { groupId, topics: [service.topics.alerts], handler: async (batch) => {
        for (const { event } of await service.decodeOrDeadLetter(batch, 'alert')) await onAlert(service, ready().queue, modelConfig, event);
      } },
      // Verification follows the promoted versions' metrics snapshots; every instance may verify.
      { groupId: `${groupId}-verify`, topics: [service.topics.metrics], fromBeginning: false, handler: async (batch) => {
        const snapshots = await service.decodeOrDeadLetter(batch, 'metricsSnapshot');
        await verifySnapshots(
          {
            incidents: ready().incidents,
            bus: service.bus,
            codec: service.codec,
            incidentsTopic: service.topics.incidents,
            verifyAfter: (model) => modelConfig(model).retrain.verifyAfter,
            logger: service.logger,
          },
          snapshots.map((s) => s.event),
        );
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
