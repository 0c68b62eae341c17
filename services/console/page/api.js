// The console's HTTP API (docs/console.md) as the page uses it. The token, when the page
// was opened with ?token=..., goes on every request: as a query parameter, because the
// EventSource API cannot set headers and one way for all is simpler to reason about.

const token = new URLSearchParams(location.search).get('token');

/**
 * `path` (e.g. '/api/models') as a URL of this console, with the page's token.
 * @param {string} path
 * @param {Record<string, string | number | undefined>} [params]
 */
export function apiUrl(path, params = {}) {
  const url = new URL(path.replace(/^\//, ''), new URL('.', location.href));
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, String(value));
  if (token) url.searchParams.set('token', token);
  return url.href;
}

export class ApiError extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/**
 * GET a JSON document; a non-2xx answer becomes an ApiError carrying the server's `error`.
 * @param {string} path
 * @param {Record<string, string | number | undefined>} [params]
 * @returns {Promise<any>}
 */
export async function getJson(path, params) {
  let response;
  try {
    response = await fetch(apiUrl(path, params), { headers: { Accept: 'application/json' } });
  } catch (error) {
    throw new ApiError(`${path}: the console did not answer (${/** @type {Error} */ (error).message})`, 0);
  }
  if (!response.ok) {
    let reason = response.statusText;
    try {
      reason = (await response.json()).error ?? reason;
    } catch {
      // Not JSON (a proxy's page): the status text says enough.
    }
    const hint = response.status === 401 ? (token ? ' — is the token right?' : ' — open the page with ?token=<DW_CONSOLE_TOKEN>') : '';
    throw new ApiError(`${path}: ${response.status} ${reason}${hint}`, response.status);
  }
  return response.json();
}

/**
 * POST a JSON body (the page's two actions: retrain, rollback); errors as getJson's.
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function postJson(path, body) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
  } catch (error) {
    throw new ApiError(`${path}: the console did not answer (${/** @type {Error} */ (error).message})`, 0);
  }
  /** @type {any} */
  let reply = null;
  try {
    reply = await response.json();
  } catch {
    // An empty or non-JSON body: the status says enough.
  }
  if (!response.ok) throw new ApiError(`${path}: ${response.status} ${reply?.error ?? response.statusText}`, response.status);
  return reply;
}

/** @typedef {'snapshot' | 'alert' | 'model' | 'incident'} EventKind */

/**
 * Subscribes to /api/events. EventSource reconnects by itself; `onStatus` says when the
 * stream is up ('open') or lost ('error'), so the caller can show it and reload what it
 * missed (the server replays nothing on connect).
 * @param {(kind: EventKind, data: any) => void} onEvent
 * @param {(status: 'open' | 'error') => void} onStatus
 * @returns {() => void} closes the stream
 */
export function subscribe(onEvent, onStatus) {
  const source = new EventSource(apiUrl('/api/events'));
  for (const kind of /** @type {EventKind[]} */ (['snapshot', 'alert', 'model', 'incident'])) {
    source.addEventListener(kind, (event) => {
      let data;
      try {
        data = JSON.parse(/** @type {MessageEvent} */ (event).data);
      } catch {
        console.warn(`driftwatch: unreadable ${kind} event`, event);
        return;
      }
      onEvent(kind, data);
    });
  }
  source.addEventListener('open', () => onStatus('open'));
  source.addEventListener('error', () => onStatus('error'));
  return () => source.close();
}
