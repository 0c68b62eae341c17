// The JSON API of docs/console.md over the console's history, plus the two actions (retrain,
// rollback) the page offers. Bad input is a 400 naming the parameter, an unknown model a 404.
import { HttpError, type RouteReply } from '../runtime/ops-server.js';
import type { ConsoleHistory } from './console-history.js';

export interface ConsoleActions {
  /** Forwards a manual retrain to the retrainer; its status (202) and body. */
  retrain(model: string): Promise<RouteReply>;
  /** Publishes the rollback; the new champion. */
  rollback(model: string, version: string, reason: string | undefined): Promise<{ model: string; champion: string }>;
}

export interface ApiContext {
  history: ConsoleHistory;
  actions: ConsoleActions;
  /** GET /api/config's answer, fixed at start but for the rebuild's start time. */
  config: () => Record<string, unknown>;
  /** The drift rules' minCount per horizon for one model (GET /api/models/:model's minCount). */
  minCountOf: (model: string) => Record<string, number>;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(match: RegExpExecArray, query: URLSearchParams, body: () => Promise<unknown>): Promise<RouteReply>;
}

function modelOf(match: RegExpExecArray): string {
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    throw new HttpError(400, 'the model name in the path is not valid URL encoding');
  }
}

function optionalInteger(query: URLSearchParams, name: string, min: number): number | undefined {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new HttpError(400, `${name} must be an integer ≥ ${min}, got "${text}"`);
  return value;
}

function optionalText(query: URLSearchParams, name: string): string | undefined {
  const text = query.get(name);
  return text === null || text === '' ? undefined : text;
}

const ok = (body: unknown): RouteReply => ({ status: 200, body });

export function apiRoutes({ history, actions, config, minCountOf }: ApiContext): ApiRoute[] {
  const knownModel = (match: RegExpExecArray): string => {
    const model = modelOf(match);
    if (!history.knows(model)) throw new HttpError(404, `unknown model "${model}" (not in the console's history)`);
    return model;
  };
  return [
    { method: 'GET', path: /^\/api\/config$/, handle: async () => ok(config()) },
    { method: 'GET', path: /^\/api\/models$/, handle: async () => ok({ models: history.models() }) },
    {
      method: 'GET',
      path: /^\/api\/models\/([^/]+)$/,
      handle: async (match) => {
        const model = knownModel(match);
        return ok({ ...history.model(model), minCount: minCountOf(model) });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/models\/([^/]+)\/windows$/,
      handle: async (match, query) => {
        const model = knownModel(match);
        const horizon = optionalText(query, 'horizon');
        if (horizon === undefined) {
          const known = history.model(model)?.horizons ?? [];
          throw new HttpError(400, `horizon is required (${model} has ${known.length > 0 ? known.join(', ') : 'no snapshots yet'})`);
        }
        const version = optionalText(query, 'version');
        const since = optionalInteger(query, 'since', 0);
        const limit = optionalInteger(query, 'limit', 1);
        const snapshots = history.windows(model, horizon, {
          ...(version !== undefined ? { version } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        return ok({ model, horizon, snapshots });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/alerts$/,
      handle: async (_match, query) => {
        const status = optionalText(query, 'status');
        if (status !== undefined && status !== 'FIRING' && status !== 'RESOLVED') throw new HttpError(400, `status must be FIRING or RESOLVED, got "${status}"`);
        const model = optionalText(query, 'model');
        const limit = optionalInteger(query, 'limit', 1);
        return ok({
          alerts: history.alerts({ ...(model !== undefined ? { model } : {}), ...(status !== undefined ? { status } : {}), ...(limit !== undefined ? { limit } : {}) }),
        });
      },
    },
    { method: 'GET', path: /^\/api\/incidents$/, handle: async (_m, query) => ok({ incidents: history.incidents(optionalText(query, 'model')) }) },
    { method: 'GET', path: /^\/api\/retrains$/, handle: async (_m, query) => ok({ retrains: history.retrains(optionalText(query, 'model')) }) },
    {
      method: 'POST',
      path: /^\/api\/models\/([^/]+)\/retrain$/,
      handle: async (match) => actions.retrain(modelOf(match)),
    },
    {
      method: 'POST',
      path: /^\/api\/models\/([^/]+)\/rollback$/,
      handle: async (match, _query, body) => {
        const model = modelOf(match);
        const input = await body();
        if (typeof input !== 'object' || input === null) throw new HttpError(400, 'the body must be a JSON object like {"version": "1", "reason": "..."}');
        const { version, reason } = input as { version?: unknown; reason?: unknown };
        if (typeof version !== 'string' || version.trim() === '') throw new HttpError(400, 'body.version must be a non-empty string');
        if (reason !== undefined && typeof reason !== 'string') throw new HttpError(400, 'body.reason must be a string when given');
        return ok(await actions.rollback(model, version.trim(), reason));
      },
    },
  ];
}
