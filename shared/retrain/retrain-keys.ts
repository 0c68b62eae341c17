// Redis keys of the retrain state. Every key of one model sits under its hash tag
// (`dw:{<model>}:`), so each script touches one cluster slot; the set of models with a
// pending trigger is the one global key, only ever used with single-key commands.
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
/** Models that have a pending trigger. */
export const PENDING_MODELS_KEY = 'dw:retrain:pending';

function checked(model: string): string {
  assertModelName(model);
  return model;
}
