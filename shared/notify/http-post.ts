// POSTs one JSON body and decides what its answer means for a retry. Shared by every HTTP
// sink. Error messages name the status and the reply's first bytes, never the URL: a webhook
// URL often is the credential (Slack's is).
import { DeliveryError } from './sink.js';

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Aborts the request when the service stops. */
  signal: AbortSignal;
}

/** Most of a reply body kept in an error message (a destination's explanation, e.g. Slack's `invalid_token`). */
const MAX_REPLY_CHARS = 200;

export async function postJson(url: string, body: unknown, options: PostOptions): Promise<void> {
  const { target, authorization } = withoutUserInfo(url);
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization, ...options.headers },
      body: JSON.stringify(body),
      // A redirected POST turns into a GET in fetch: refuse it (statusOutcome) instead.
      redirect: 'manual',
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
  } catch (error) {
    throw new DeliveryError(`request failed: ${networkReason(error, options.timeoutMs)}`, false);
  }
  const reply = await response.text().catch(() => '');
  const outcome = statusOutcome(response.status);
  if (outcome === 'delivered') return;
  const detail = reply.trim().slice(0, MAX_REPLY_CHARS).replace(/\s+/g, ' ');
  const message = `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
  throw new DeliveryError(message, outcome === 'permanent', retryAfterMs(response.headers.get('retry-after')));
}

/** fetch refuses URLs with credentials: `https://user:pass@host/` becomes Basic authorization. */
function withoutUserInfo(url: string): { target: string; authorization: Record<string, string> } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { target: url, authorization: {} };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { target: parsed.toString(), authorization: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } };
}

/**
 * What an HTTP status means for the delivery:
 * - 2xx: delivered.
 * - 408 (timeout), 425 (too early), 429 (rate limited) and every 5xx: retryable; the
 *   destination is busy, restarting or broken for now.
 * - every other 4xx: permanent; the destination understood and refused this request (wrong
 *   URL 404, revoked token 401/403, archived Slack channel 410, invalid payload 400), and the
 *   same request will be refused again.
 * - 3xx and anything else: permanent; configure the final URL, a POST is not followed.
 */
export function statusOutcome(status: number): 'delivered' | 'retryable' | 'permanent' {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 408 || status === 425 || status === 429 || (status >= 500 && status < 600)) return 'retryable';
  return 'permanent';
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'aborted (stopping)';
  }
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  // undici: "fetch failed" with the socket's error as cause (ECONNREFUSED, ENOTFOUND, …).
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
