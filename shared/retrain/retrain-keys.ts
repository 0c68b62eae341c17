// Redis keys of the retrain state. Every key of one model sits under its hash tag
// (`dw:{<model>}:`), so each script touches one cluster slot; the set of models with a
// pending trigger is the one key per deployment outside them, only used with single-key commands.
//
// Every key expires (issue 9): a model that stopped existing must not keep keys forever. Each
// write sets the key's expiry to the model's retrain key TTL (retrainKeyTtlMs), so a model in use
// keeps its state and an abandoned one loses it. An expired `retrain:fence` is safe: the next
// lock takes a floor from the models topic (acquire-lock.lua), so its token still exceeds every
// token already published.
import type { ModelConfig } from '../config/monitoring-config.js';
import { assertModelName } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';

/** `<owner>:<token>` while a retrain runs; expires unless renewed. */
export const lockKey = (model: string): string => modelKey(checked(model), 'retrain:lock');
/** INCR counter (raised to the models topic's floor): the fencing token of each acquisition, strictly increasing per model. */
export const fenceKey = (model: string): string => modelKey(checked(model), 'retrain:fence');
/** Hash of the model's pending trigger (see record-trigger.lua for the fields). */
export const pendingKey = (model: string): string => modelKey(checked(model), 'retrain:pending');
/** When the model's last retrain finished (ms): the cooldown starts there. */
export const lastKey = (model: string): string => modelKey(checked(model), 'retrain:last');
/**
 * Models that have a pending trigger, per deployment (its topic prefix): two deployments
 * sharing a Redis must never take each other's triggers and retrain against the wrong topics.
 */
export const pendingModelsKey = (namespace: string): string => `dw:retrain:pending:${namespace}`;

/** A store built without a TTL rule (tests, library use) keeps retrain keys this long: 30 days. */
export const DEFAULT_RETRAIN_KEY_TTL_MS = 30 * 86_400_000;
/** Incident records are the audit trail GET /incidents lists: they live at least 30 days after their last update. */
export const MIN_INCIDENT_TTL_MS = 30 * 86_400_000;

/**
 * How long a model's retrain keys (fence, cooldown, pending trigger, the deployment's set of
 * pending models) live after their last write: the model's idle expiry (idleExpiry /
 * DW_MODEL_IDLE_EXPIRY, 7 days by default), the same as its monitoring keys, but never shorter
 * than the cooldown (`retrain:last` must outlive it), the debounce or the longest retry wait
 * (a pending trigger must outlive its wait).
 */
export function retrainKeyTtlMs(config: Pick<ModelConfig, 'idleExpiryMs' | 'retrain'>): number {
  return Math.max(config.idleExpiryMs, config.retrain.cooldownMs, config.retrain.debounceMs, config.retrain.retry.maxDelayMs);
}

/** Incident records, their index, verification pointers and the deployment's set of models with incidents. */
export function incidentTtlMs(config: Pick<ModelConfig, 'idleExpiryMs' | 'retrain'>): number {
  return Math.max(retrainKeyTtlMs(config), MIN_INCIDENT_TTL_MS);
}

/** A key TTL rule per model; the stores take one. */
export type KeyTtl = (model: string) => number;

export const defaultKeyTtl: KeyTtl = () => DEFAULT_RETRAIN_KEY_TTL_MS;

/** The TTL the rule gives, checked: Redis refuses a PEXPIRE that is not a positive integer. */
export function keyTtlOf(rule: KeyTtl, model: string): number {
  const ttl = rule(model);
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw new RangeError(`retrain key TTL must be a positive integer of ms, got ${ttl} for "${model}"`);
  return ttl;
}

function checked(model: string): string {
  assertModelName(model);
  return model;
}
