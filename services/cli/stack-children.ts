// Turns service-table rows into the child processes `start` and `service` run: each with its
// ops port taken from its URL variable (so `status` finds it where `start` put it).
import { CliError } from './program.js';
import { serviceEntry, servicePort, type ServiceRow } from './service-table.js';
import type { ChildSpec } from './supervise.js';

/** Why the row's entry cannot run (its file is not built), or null when it can. */
export function missingEntry(row: ServiceRow): string | null {
  const entry = serviceEntry(row.name);
  return entry.exists ? null : `${row.name} is not in this build: ${entry.shown} is missing (run \`npm run build\`, or this version has no ${row.name} service)`;
}

/** The row's child; a CliError naming the file when it is not built. */
export function serviceChild(row: ServiceRow, env: NodeJS.ProcessEnv, options: { keepHttpPort?: boolean } = {}): ChildSpec {
  const missing = missingEntry(row);
  if (missing !== null) throw new CliError(missing);
  const entry = serviceEntry(row.name);
  let port: number;
  try {
    port = servicePort(row, env);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  // `service` leaves an explicit DW_HTTP_PORT alone; `start` cannot: one value for five servers.
  const httpPort = options.keepHttpPort && env.DW_HTTP_PORT ? env.DW_HTTP_PORT : String(port);
  return { name: row.name, entry: entry.path, env: { ...env, DW_HTTP_PORT: httpPort } };
}
