// A real HTTP endpoint on loopback standing in for a webhook, Slack or Alertmanager receiver:
// records every request (path, headers, JSON body, the status it was answered) and answers
// from a per-path script (e.g. two 500s, then 200s), so a test sees exactly what was sent.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Held this long before answering. */
  delayMs?: number;
}

export interface ReceivedRequest {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON; the raw text when it is not JSON. */
  body: unknown;
  /** The status this request was answered with. */
  status: number;
}

export interface HttpReceiver {
  readonly port: number;
  url(path: string): string;
  /** Requests in arrival order, for one path or all. */
  requests(path?: string): ReceivedRequest[];
  /** The next requests to `path` get these answers, in order; after them, the path's default. */
  script(path: string, ...answers: Answer[]): void;
  /** What `path` answers once its script is used up (200 unless set). */
  setDefault(path: string, answer: Answer): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  const scripts = new Map<string, Answer[]>();
  const defaults = new Map<string, Answer>();
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      const answer = scripts.get(path)?.shift() ?? defaults.get(path) ?? { status: 200 };
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      received.push({ path, method: req.method ?? '', headers: req.headers, body, status: answer.status });
      setTimeout(() => res.writeHead(answer.status, answer.headers).end(answer.body ?? ''), answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests: (path) => received.filter((r) => path === undefined || r.path === path),
    script: (path, ...answers) => scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
    setDefault: (path, answer) => defaults.set(path, answer),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
