// What the page can ask for besides reading: a manual retrain (forwarded to the retrainer's
// POST /retrain/<model>) and a rollback (published exactly as `driftwatch models rollback`
// does, through publishRollback).
import type { EventBus } from '../bus/types.js';
import type { Codec } from '../codec/index.js';
import { IntegrityError, ModelNotFoundError, type ModelStore } from '../models/model-store.js';
import { HttpError, type RouteReply } from '../runtime/ops-server.js';
import { publishRollback } from '../sdk/models/model-registry.js';
import type { TopicNames } from '../topics.js';
import type { ConsoleActions } from './api-routes.js';

const RETRAINER_TIMEOUT_MS = 15_000;

export interface ConsoleActionDeps {
  bus: EventBus;
  codec: Codec;
  topics: TopicNames;
  models: ModelStore;
  retrainerUrl: string;
  fetch?: typeof fetch;
}

function unreachable(base: string, error: unknown): HttpError {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  const why = (error as Error).name === 'TimeoutError' ? `no answer within ${RETRAINER_TIMEOUT_MS / 1000} s` : (cause ?? (error as Error).message);
  return new HttpError(503, `cannot reach the retrainer at ${base} (${why}); is it running? (DW_RETRAINER_URL)`);
}

export function consoleActions(deps: ConsoleActionDeps): ConsoleActions {
  const doFetch = deps.fetch ?? globalThis.fetch;
  return {
    async retrain(model): Promise<RouteReply> {
      let response: Response;
      try {
        response = await doFetch(`${deps.retrainerUrl}/retrain/${encodeURIComponent(model)}`, {
          method: 'POST',
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(RETRAINER_TIMEOUT_MS),
        });
      } catch (error) {
        throw unreachable(deps.retrainerUrl, error);
      }
      const text = await response.text();
      let body: unknown;
      try {
        body = text.trim() === '' ? null : JSON.parse(text);
      } catch {
        body = { error: `the retrainer answered ${response.status} with a non-JSON body: ${text.trim().slice(0, 200)}` };
      }
      // Its own status (202, or its 400/404/503) and body, as the contract says.
      return { status: response.status, body };
    },

    async rollback(model, version, reason) {
      try {
        await publishRollback({ bus: deps.bus, store: deps.models, model, version, topics: deps.topics, codec: deps.codec, ...(reason ? { reason } : {}) });
      } catch (error) {
        if (error instanceof ModelNotFoundError) throw new HttpError(404, error.message);
        // A bad name or version (RangeError), or a stored version that fails its checksums.
        if (error instanceof RangeError || error instanceof IntegrityError) throw new HttpError(400, error.message);
        throw error;
      }
      return { model, champion: version };
    },
  };
}
