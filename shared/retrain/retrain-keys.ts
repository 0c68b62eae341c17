// Redis keys of the retrain state. Every key of one model sits under its hash tag
// (`dw:{<model>}:`), so each script touches one cluster slot; the set of models with a
// pending trigger is the one key per deployment outside them, only used with single-key commands.
import { assertModelName } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';

/** `<owner>:<token>` while a retrain runs; expires unless renewed. */
export const lockKey = (model: string): string => modelKey(checked(model), 'retrain:lock');
/** INCR counter: the fencing token of each acquisition, strictly increasing per model. */
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

function checked(model: string): string {
  assertModelName(model);
  return model;
}
