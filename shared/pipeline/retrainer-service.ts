// The retrainer as a runService definition: alerts become pending triggers, the scheduler
// runs retrains under the model's lock, metrics snapshots of promoted versions verify them.
// HTTP: GET /incidents[/<model>[/<id>]], POST /retrain/<model>.
//
// Redis loss (issue 9): distributed, the retrainer adopts the monitors' Redis epoch
// (RedisProgress) and checks it before every step that trusts Redis's state: recording a
// trigger (alerts, POST /retrain), taking a lock, writing an incident, publishing a model
// event; and on every /readyz (probe `redisEpoch`), so a loss is seen even while idle. After a
// loss it refuses: /readyz 503 with the reason, POST /retrain 503, batches of its subscriptions
// fail uncommitted, no retrain starts and no model event goes out, until an operator clears
// driftwatch's keys and restarts. Embedded (the in-memory keyspace) there is no epoch.
import { hostname } from 'node:os';
import { Counter, Histogram } from 'prom-client';
import type { EventBus, LogReader } from '../bus/types.js';
import type { Alert, IncidentTrigger } from '../codec/events.generated.js';
import { resolveModelConfig, type ModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';
import type { ModelStore } from '../models/model-store.js';
import { HttpError } from '../runtime/ops-server.js';
import { RedisLostError, RedisProgress, type LossWording } from '../runtime/redis-progress.js';
import { runService, type RunServiceOptions, type ServiceContext, type ServiceHandle } from '../runtime/run-service.js';
import { readChampion, readFencingFloor } from '../retrain/read-champion.js';
import type { IncidentStore } from '../retrain/incident-store.js';
import { MemoryIncidentStore } from '../retrain/memory-incident-store.js';
import { RedisIncidentStore } from '../retrain/redis-incident-store.js';
import { matchesTrigger } from '../retrain/policy.js';
import { incidentTtlMs, retrainKeyTtlMs } from '../retrain/retrain-keys.js';
import { runRetrain, type StateGuard } from '../retrain/retrain-job.js';
import { MemoryRetrainLocks, RedisRetrainLocks, type RetrainLocks } from '../retrain/retrain-lock.js';
import { MemoryRetrainQueue, RedisRetrainQueue, type RetrainQueue } from '../retrain/retrain-queue.js';
import { RetrainScheduler } from '../retrain/scheduler.js';
import { verifySnapshots } from '../retrain/verify-snapshots.js';
import { retrainerRoutes } from './retrainer-routes.js';
import { defaultGroupId } from './services.js';

export const RETRAINER_GROUP = 'retrainer';

/** What the retrainer's loss reason and error log say (RedisProgress's wording). */
export const RETRAINER_LOSS_WORDING: LossWording = {
  state: 'retrain state',
  refusal:
    `Refusing to retrain: the pending triggers, cooldowns, locks and incident records it kept are gone, ` +
    `and the monitors' state with them. No retrain starts and no model event is published until an operator recovers: ` +
    `stop every driftwatch service (monitors and retrainers), delete driftwatch's keys ` +
    `(redis-cli --scan --pattern 'dw:*' | xargs -r -n1 redis-cli del), start them again, ` +
    `then request the retrains that were pending again (POST /retrain/<model>).`,
};

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
  /** Redis's epoch; null when embedded. */
  guard: StateGuard | null;
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

  /** Records a manual trigger; RedisLostError once Redis lost its data. */
  const manual = async (model: string): Promise<void> => {
    const trigger: IncidentTrigger = {
      alertId: null, kind: 'MANUAL', severity: null, metric: null, feature: null, value: null, threshold: null, windowStart: null, windowEnd: null,
    };
    const { queue, guard } = ready();
    await guard?.check();
    await queue.record(model, trigger, { debounceMs: 0, cooldownMs: 0, now: Date.now(), manual: true });
  };
  // POST /retrain answers 503 with the reason: the request is refused, not failed.
  const manualRoute = async (model: string): Promise<void> => {
    try {
      await manual(model);
    } catch (error) {
      if (error instanceof RedisLostError) throw new HttpError(503, `${error.message}; the retrain was not requested`);
      throw error;
    }
  };

  const handle = await runService({
    ...options,
    name: 'retrainer',
    // Active, unlike the monitors' (their batches check the epoch all the time): an idle
    // retrainer would otherwise not notice a loss until its next trigger.
    probes: { ...options.probes, redisEpoch: async () => state?.guard?.check() },
    onStart: async (service) => {
      const retrainMetrics = createRetrainMetrics(service);
      const store = service.store;
      // Deployments sharing a Redis keep their retrain queues and incident lists apart.
      const namespace = service.config.topics.prefix;
      // Every key expires with the model's idle expiry (never before its cooldown); incidents after 30 days at least.
      const keyTtl = (model: string) => retrainKeyTtlMs(modelConfig(model));
      const incidentTtl = (model: string) => incidentTtlMs(modelConfig(model));
      const incidents =
        store.mode === 'distributed' ? new RedisIncidentStore(store.redis, namespace, incidentTtl) : new MemoryIncidentStore(store.keyspace, namespace, incidentTtl);
      const queue = store.mode === 'distributed' ? new RedisRetrainQueue(store.redis, namespace, keyTtl) : new MemoryRetrainQueue(store.keyspace, namespace, keyTtl);
      const locks = store.mode === 'distributed' ? new RedisRetrainLocks(store.redis, keyTtl) : new MemoryRetrainLocks(store.keyspace, keyTtl);
      let guard: StateGuard | null = null;
      if (store.mode === 'distributed') {
        const epoch = new RedisProgress(store.redis, service.name, service.logger, RETRAINER_LOSS_WORDING);
        // A tombstone (a loss another service found) marks it lost at once: it starts, and refuses.
        await epoch.open();
        guard = epoch;
      }
      const bus = service.bus as EventBus & LogReader;
      let backendExported = false;
      const scheduler = new RetrainScheduler({
        queue,
        locks,
        owner,
        lockTtlMs: options.lockTtlMs ?? 30_000,
        tickMs: options.tickMs ?? 1_000,
        logger: service.logger,
        fencingFloor: (model) => readFencingFloor({ reader: bus, codec: service.codec, topic: service.topics.models, model }),
        ...(guard ? { guard } : {}),
        retryPolicy: (model) => modelConfig(model).retrain.retry,
        run: async (request) => {
          const endTimer = retrainMetrics.duration.startTimer();
          const result = await runRetrain(
            {
              bus,
              codec: service.codec,
              topics: service.topics,
              store: options.models,
              incidents,
              logger: service.logger,
              modelConfig,
              ...(guard ? { guard } : {}),
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
          endTimer({ status: result.incident.status });
          retrainMetrics.retrains.inc({ status: result.incident.status });
          return result;
        },
      });
      state = { queue, locks, incidents, scheduler, guard };
      scheduler.start();
    },
    onStop: async () => {
      await state?.scheduler.stop();
    },
    routes: () => retrainerRoutes(() => ready().incidents, manualRoute),
    // Both write Redis (triggers, incidents): after a loss their batches fail before any write
    // and are not committed, so they are handled once an operator recovered.
    subscriptions: (service) => [
      { groupId, topics: [service.topics.alerts], handler: async (batch) => {
        await ready().guard?.check();
        for (const { event } of await service.decodeOrDeadLetter(batch, 'alert')) await onAlert(service, ready().queue, modelConfig, event);
      } },
      // Verification follows the promoted versions' metrics snapshots; every instance may verify.
      { groupId: `${groupId}-verify`, topics: [service.topics.metrics], fromBeginning: false, handler: async (batch) => {
        await ready().guard?.check();
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
