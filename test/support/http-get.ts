// A plain GET against a service's ops server (/readyz, /metrics), with no connection reuse, so a
// stopped service shows as a refused connection rather than a stale keep-alive socket.
import { request } from 'node:http';

export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `driftwatch_dlq_total` by reason from a Prometheus text exposition. */
export function dlqTotals(metricsText: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of metricsText.split('\n')) {
    const match = /^driftwatch_dlq_total\{([^}]*)\} (\S+)$/.exec(line);
    const reason = match && /reason="([^"]*)"/.exec(match[1]!)?.[1];
    if (reason) totals[reason] = Number(match[2]);
  }
  return totals;
}
