// The retrainer's HTTP endpoints beside /healthz, /readyz and /metrics:
//   GET  /incidents[?limit=N]            newest incidents of every model
//   GET  /incidents/<model>[?limit=N]    one model's, newest first
//   GET  /incidents/<model>/<id>         one incident
//   POST /retrain/<model>                a manual trigger (202; the retrain runs when the lock is free)
import type { IncidentStore } from '../retrain/incident-store.js';
import { checkModelName } from '../models/model-store.js';
import { HttpError, type OpsRoute } from '../runtime/ops-server.js';

const MAX_LIMIT = 1000;

export function retrainerRoutes(incidents: () => IncidentStore, retrain: (model: string) => Promise<void>): OpsRoute[] {
  return [
    {
      method: 'GET',
      path: /^\/incidents\/?$/,
      handle: async (_match, query) => {
        const limit = limitOf(query);
        const store = incidents();
        const all = await Promise.all((await store.models()).map((m) => store.list(m, limit)));
        return { status: 200, body: all.flat().sort((a, b) => b.openedAt - a.openedAt).slice(0, limit) };
      },
    },
    {
      method: 'GET',
      path: /^\/incidents\/([^/]+)\/?$/,
      handle: async (match, query) => ({ status: 200, body: await incidents().list(modelOf(match[1]!), limitOf(query)) }),
    },
    {
      method: 'GET',
      path: /^\/incidents\/([^/]+)\/([^/]+)$/,
      handle: async (match) => {
        const incident = await incidents().get(modelOf(match[1]!), segment(match[2]!));
        if (incident === null) throw new HttpError(404, 'no such incident');
        return { status: 200, body: incident };
      },
    },
    {
      method: 'POST',
      path: /^\/retrain\/([^/]+)$/,
      handle: async (match) => {
        const model = modelOf(match[1]!);
        await retrain(model);
        return { status: 202, body: { model, status: 'pending' } };
      },
    },
  ];
}

function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `malformed escape in "${raw}"`);
  }
}

function modelOf(raw: string): string {
  const model = segment(raw);
  try {
    checkModelName(model);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  return model;
}

function limitOf(query: URLSearchParams): number {
  const text = query.get('limit');
  if (text === null) return 20;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new HttpError(400, `limit must be an integer from 1 to ${MAX_LIMIT}, got "${text}"`);
  return limit;
}
