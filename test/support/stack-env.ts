// The environment a CLI test runs `start`, `service` or `status` in: the shared broker and
// Redis, its own topic prefix (so its own consumer groups), its own model store, and a free
// port for every service's ops server, so nothing a developer runs on 9464-9468 answers.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../scripts/local-services.js';
import { SERVICES } from '../../services/cli/service-table.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { httpGet } from './http-get.js';

export interface StackEnv {
  env: NodeJS.ProcessEnv;
  prefix: string;
  /** The ops port of each service, by name. */
  ports: Record<string, number>;
}

export async function stackEnv(name: string): Promise<StackEnv> {
  const prefix = `${uniqueName(name)}.`;
  const free = await freePorts(SERVICES.length);
  const ports = Object.fromEntries(SERVICES.map((s, i) => [s.name, free[i]!]));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: kafkaBrokers(),
    REDIS_URL: redisUrl(),
    DW_TOPIC_PREFIX: prefix,
    DW_TOPIC_PARTITIONS: '2',
    DW_MODEL_STORE: mkdtempSync(join(tmpdir(), `dw-${name}-models-`)),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // The console's page and API on a free port, not 8090, which another run may hold.
    DW_CONSOLE_PORT: '0',
  };
  // No notification sink unless a test sets one: `start` leaves the notifier out.
  for (const name of Object.keys(env)) if (name.startsWith('DW_NOTIFY_')) delete env[name];
  delete env.DW_HTTP_PORT;
  for (const row of SERVICES) env[row.urlVariable] = `http://127.0.0.1:${ports[row.name]}`;
  return { env, prefix, ports };
}

/** GET /readyz's status, 0 when nothing listens. */
export function readyStatus(port: number): Promise<number> {
  return httpGet(port, '/readyz').then(
    (r) => r.status,
    () => 0,
  );
}
