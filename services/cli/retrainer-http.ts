// The retrainer's HTTP API as the CLI calls it (`driftwatch retrain`, `driftwatch incidents`):
// where it is (--url, else DW_RETRAINER_URL, else the retrainer's default port on this host)
// and one request with a timeout, failing as a one-line CliError.
import { CliError } from './program.js';

export const DEFAULT_RETRAINER_URL = 'http://127.0.0.1:9466';
const REQUEST_TIMEOUT_MS = 15_000;

export interface RetrainerClientDeps {
  /** Where DW_RETRAINER_URL comes from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Default globalThis.fetch; tests replace it. */
  fetch?: typeof fetch;
}

/** The retrainer's base URL without a trailing slash; a CliError when it is not an http(s) URL. */
export function retrainerUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const text = option?.trim() || env.DW_RETRAINER_URL?.trim() || DEFAULT_RETRAINER_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`invalid retrainer URL "${text}" (expected e.g. ${DEFAULT_RETRAINER_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`invalid retrainer URL "${text}": only http and https are supported`);
  return url.href.replace(/\/+$/, '');
}

/** Why a connection failed, from undici's `fetch failed` TypeError and its cause. */
function connectionProblem(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  return cause?.message ?? (error as Error).message ?? String(error);
}

/** One request to the retrainer; its JSON body. Non-2xx replies become a CliError with the server's error. */
export async function callRetrainer(
  deps: RetrainerClientDeps,
  base: string,
  method: 'GET' | 'POST',
  path: string,
): Promise<{ status: number; body: unknown }> {
  const doFetch = deps.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(`${base}${path}`, { method, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new CliError(`cannot reach the retrainer at ${base} (${connectionProblem(error)}); is it running? Set --url or DW_RETRAINER_URL`);
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): reported as text below.
  }
  if (!response.ok) {
    const message = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : String(text).trim().slice(0, 200);
    throw new CliError(`the retrainer at ${base} answered ${method} ${path} with ${response.status}${message ? `: ${message}` : ''}`);
  }
  return { status: response.status, body };
}
