// Which models a monitoring service counts (issue 9: bounded models), and how long it keeps a
// model's in-memory state.
//
// ModelGate asks the deployment's admission set (model-admission.ts) whether a model is
// monitored: at most `maxModels` at once across every instance of both services, and only
// configured ones with `onlyConfiguredModels`. Events of a refused model are dead-lettered
// as UNKNOWN_MODEL by the pipelines and never create a key. Decisions are cached: an
// admitted model is confirmed again (which refreshes its last use in the set) at most every
// `confirmEveryMs`; a refusal is remembered for `refusalTtlMs`, so a model refused while the
// set is full is admitted soon after a slot frees up. Both caches are bounded.
//
// IdleModels evicts a model's in-memory state (settings, known classes, references, the
// evaluation loop's per-model entries) once it has been unused for the idle expiry, or when
// more than `capacity` models are held (least recently used first).
import type { DeadLetterFailure } from '../runtime/dead-letters.js';
import type { ServiceContext } from '../runtime/run-service.js';
import { modelLimits, type ModelLimits, type MonitoringConfig } from '../config/monitoring-config.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import { MemoryModelAdmission } from '../monitor-state/memory-admit-model.js';
import { RedisModelAdmission, type ModelAdmission } from '../monitor-state/model-admission.js';

export const UNKNOWN_MODEL = 'UNKNOWN_MODEL';

export type GateVerdict = { admitted: true } | { admitted: false; reason: string };

export interface ModelGateOptions {
  /** Or a function making it on first use. */
  admission: ModelAdmission | (() => ModelAdmission);
  /** The deployment (topic prefix): one admission set per deployment. */
  namespace: string | (() => string);
  limits: ModelLimits;
  /** Models with their own config section (the allow-list when onlyConfiguredModels). */
  configured: readonly string[];
  log: RateLimitedLog;
  service: string;
  now?: () => number;
  /** Default: a minute, or a tenth of the idle expiry when that is shorter. */
  confirmEveryMs?: number;
  /** Default 5 s. */
  refusalTtlMs?: number;
}

/** Most refusals remembered at once (the oldest is forgotten first). */
const MAX_REMEMBERED_REFUSALS = 10_000;

export class ModelGate {
  private readonly admitted = new Map<string, number>();
  private readonly refused = new Map<string, { until: number; reason: string }>();
  private readonly configured: Set<string>;
  private readonly now: () => number;
  private readonly confirmEveryMs: number;
  private readonly refusalTtlMs: number;
  private admission: ModelAdmission | undefined;

  constructor(private readonly options: ModelGateOptions) {
    this.configured = new Set(options.configured);
    this.now = options.now ?? Date.now;
    this.confirmEveryMs = options.confirmEveryMs ?? Math.min(60_000, Math.floor(options.limits.idleExpiryMs / 10));
    this.refusalTtlMs = options.refusalTtlMs ?? 5_000;
  }

  /** Whether the allow-list (onlyConfiguredModels) lets the model in; no Redis call. */
  allowed(model: string): GateVerdict {
    if (this.options.limits.onlyConfiguredModels && !this.configured.has(model)) {
      return { admitted: false, reason: `model ${model} has no section in the monitoring config and onlyConfiguredModels is set` };
    }
    return { admitted: true };
  }

  async admit(model: string): Promise<GateVerdict> {
    const { limits, log, service } = this.options;
    const allowed = this.allowed(model);
    if (!allowed.admitted) return allowed;
    const now = this.now();
    const confirmed = this.admitted.get(model);
    if (confirmed !== undefined && now - confirmed < this.confirmEveryMs) {
      this.admitted.delete(model);
      this.admitted.set(model, confirmed);
      return { admitted: true };
    }
    const refusal = this.refused.get(model);
    if (refusal !== undefined && now < refusal.until) return { admitted: false, reason: refusal.reason };
    this.refused.delete(model);

    this.admission ??= typeof this.options.admission === 'function' ? this.options.admission() : this.options.admission;
    const namespace = typeof this.options.namespace === 'function' ? this.options.namespace() : this.options.namespace;
    const reply = await this.admission.admit(namespace, model, { maxModels: limits.maxModels, idleMs: limits.idleExpiryMs });
    if (reply.admitted) {
      this.admitted.delete(model);
      this.admitted.set(model, now);
      while (this.admitted.size > limits.maxModels) this.admitted.delete(this.admitted.keys().next().value as string);
      if (reply.isNew) log.info({ model, models: reply.count, maxModels: limits.maxModels, service }, 'new model admitted for monitoring');
      return { admitted: true };
    }
    this.admitted.delete(model);
    const reason = `model ${model} is not monitored: ${reply.count} models are monitored already (maxModels ${limits.maxModels}); a model's slot frees up after ${Math.round(limits.idleExpiryMs / 1000)} s without events`;
    this.refused.set(model, { until: now + this.refusalTtlMs, reason });
    while (this.refused.size > MAX_REMEMBERED_REFUSALS) this.refused.delete(this.refused.keys().next().value as string);
    log.warn({ model, models: reply.count, maxModels: limits.maxModels, service }, 'model refused: maxModels reached (its events are UNKNOWN_MODEL dead letters)');
    return { admitted: false, reason };
  }
}

export interface IdleModelsOptions {
  idleMs: number;
  capacity: number;
  /** Drops everything the caller keeps for the model. */
  evict: (model: string) => void;
  now?: () => number;
}

export class IdleModels {
  /** model → last use; Map order is use order (touch re-inserts), so the first is the least recently used. */
  private readonly lastUse = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: IdleModelsOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.lastUse.size;
  }

  /** Whether the model is held (touched, and not evicted since). */
  has(model: string): boolean {
    return this.lastUse.has(model);
  }

  /** Marks the model used now, then evicts idle models and those beyond the capacity. */
  touch(model: string): void {
    const now = this.now();
    this.lastUse.delete(model);
    this.lastUse.set(model, now);
    for (const [oldest, at] of this.lastUse) {
      if (this.lastUse.size <= this.options.capacity && now - at <= this.options.idleMs) break;
      if (oldest === model) break;
      this.lastUse.delete(oldest);
      this.options.evict(oldest);
    }
  }
}

/** The admission set of the service's store: Redis when distributed, the keyspace's twin when embedded. */
export function admissionFor(service: Pick<ServiceContext, 'store'>): ModelAdmission {
  return service.store.mode === 'distributed' ? new RedisModelAdmission(service.store.redis) : new MemoryModelAdmission(service.store.keyspace);
}

/** A pipeline's gate, idle tracker and rate-limited log, built the same way by both pipelines. */
export function modelBounds(
  service: ServiceContext,
  config: MonitoringConfig,
  admission: ModelAdmission | undefined,
  evict: (model: string) => void,
): { gate: ModelGate; idle: IdleModels; log: RateLimitedLog; limits: ModelLimits } {
  const limits = modelLimits(config);
  const log = new RateLimitedLog(service.logger);
  const gate = new ModelGate({
    admission: admission ?? (() => admissionFor(service)),
    namespace: () => service.config.topics.prefix,
    limits,
    configured: Object.keys(config.models),
    log,
    service: service.name,
  });
  const idle = new IdleModels({ idleMs: limits.idleExpiryMs, capacity: limits.maxModels, evict });
  return { gate, idle, log, limits };
}

/** The UNKNOWN_MODEL dead letters of a refused model's items. */
export function unknownModelLetters(items: readonly { message: DeadLetterFailure['message'] }[], reason: string): DeadLetterFailure[] {
  return items.map((item) => ({ message: item.message, error: { reason: UNKNOWN_MODEL, message: reason } }));
}
