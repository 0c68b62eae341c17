// A service's readiness as `driftwatch status` reports it: GET <url>/readyz, which answers 200
// when every probe passes and 503 with `{ ready, checks: { name: { ok, error } } }` otherwise.
const TIMEOUT_MS = 3_000;

export interface Readiness {
  ready: boolean;
  /** "ready", or why not: the failing checks, the HTTP status, or the connection problem. */
  detail: string;
}

function failedChecks(body: unknown): string | undefined {
  const checks = (body as { checks?: Record<string, { ok?: boolean; error?: string }> } | null)?.checks;
  if (!checks || typeof checks !== 'object') return undefined;
  const failed = Object.entries(checks).filter(([, c]) => c?.ok === false);
  return failed.length ? failed.map(([name, c]) => `${name}: ${c.error ?? 'failed'}`).join('; ') : undefined;
}

function connectionProblem(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'not running (connection refused)';
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export async function readiness(baseUrl: URL, doFetch: typeof fetch = globalThis.fetch): Promise<Readiness> {
  const url = new URL('readyz', baseUrl.href.endsWith('/') ? baseUrl : `${baseUrl.href}/`);
  let response: Response;
  try {
    response = await doFetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (error) {
    return { ready: false, detail: connectionProblem(error) };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 200) return { ready: true, detail: 'ready' };
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not our ops server's JSON: the status says enough.
  }
  return { ready: false, detail: `HTTP ${response.status}${failedChecks(body) ? `: ${failedChecks(body)}` : ''}` };
}
