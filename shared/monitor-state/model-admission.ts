// Which models a deployment monitors (issue 9: bounded models). One sorted set per
// deployment (`dw:models:<namespace>`, the namespace being the topic prefix) holds the
// admitted models with the time each was last admitted; admit-model.lua checks the cap
// atomically, so every instance of both services agrees on the same set. A model idle longer
// than the idle expiry leaves the set (and its keys expire, see lib-counters.lua), which
// frees its slot. MemoryModelAdmission (memory-admit-model.ts) is the embedded twin; both pass
// test/contract/model-admission.contract.ts.
import { assertModelName } from '../store/batch-request.js';
import { InvalidBatchError } from '../store/errors.js';
import type { RedisClient } from '../store/redis-connection.js';
import { defineLuaScript, type LuaCommand } from '../store/lua-scripts.js';

export interface AdmissionLimits {
  maxModels: number;
  /** 0: admitted models never expire from the set. */
  idleMs: number;
}

export interface AdmissionReply {
  admitted: boolean;
  /** Admitted by this call (it was not in the set). */
  isNew: boolean;
  /** Models in the set after the call. */
  count: number;
}

export interface ModelAdmission {
  admit(namespace: string, model: string, limits: AdmissionLimits): Promise<AdmissionReply>;
}

/** The deployment's set of admitted models; outside every model's hash tag (single-key commands only). */
export const admittedModelsKey = (namespace: string): string => `dw:models:${namespace}`;

export function checkLimits(model: string, limits: AdmissionLimits): void {
  assertModelName(model);
  if (!Number.isSafeInteger(limits.maxModels) || limits.maxModels < 1) throw new InvalidBatchError(`maxModels must be a positive integer, got ${limits.maxModels}`);
  if (!Number.isSafeInteger(limits.idleMs) || limits.idleMs < 0) throw new InvalidBatchError(`idleMs must be a non-negative integer, got ${limits.idleMs}`);
}

export class RedisModelAdmission implements ModelAdmission {
  private readonly script: LuaCommand;

  constructor(readonly client: RedisClient) {
    this.script = defineLuaScript(client, import.meta.url, { name: 'driftwatchAdmitModel', file: './admit-model.lua', numberOfKeys: 'dynamic' });
  }

  async admit(namespace: string, model: string, limits: AdmissionLimits): Promise<AdmissionReply> {
    checkLimits(model, limits);
    const reply = (await this.script([admittedModelsKey(namespace)], [model, limits.maxModels, limits.idleMs])) as unknown[];
    return { admitted: Number(reply[0]) === 1, isNew: Number(reply[1]) === 1, count: Number(reply[2]) };
  }
}
