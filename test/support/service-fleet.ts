// Several driftwatch services as their own processes (service-process.ts), each with its ops
// server on a free port, started together and awaited until every /readyz answers 200: what a
// test needs that looks at the services from outside, as Prometheus or an operator does.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePorts } from '../../scripts/local-services.js';
import { httpGet } from './http-get.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';
import { until } from './until.js';

export interface ServiceFleet {
  /** Ops port by service name. */
  readonly ports: Readonly<Record<string, number>>;
  readonly processes: Readonly<Record<string, ServiceProcess>>;
  /** SIGTERM to each, then waits for all of them. */
  stop(): Promise<void>;
}

/** Whether services/<name>/main.ts exists in this checkout (the console and notifier came later). */
export function hasService(name: string): boolean {
  return existsSync(resolve(import.meta.dirname, `../../services/${name}/main.ts`));
}

/**
 * Starts each service with `env` plus its own DW_HTTP_PORT, and `extraEnv[name]`; resolves
 * once all are ready. A service that exits or stays unready fails the start, with its output.
 */
export async function startServiceFleet(
  names: readonly string[],
  env: Record<string, string>,
  extraEnv: Readonly<Record<string, Record<string, string>>> = {},
  readyTimeoutMs = 90_000,
): Promise<ServiceFleet> {
  const ports = Object.fromEntries((await freePorts(names.length)).map((port, i) => [names[i]!, port]));
  const processes: Record<string, ServiceProcess> = {};
  const stop = async (): Promise<void> => {
    await Promise.all(Object.values(processes).map((service) => service.stop()));
  };
  try {
    for (const name of names) processes[name] = startServiceProcess(name, { ...env, ...extraEnv[name], DW_HTTP_PORT: String(ports[name]) });
    for (const name of names) {
      const readyz = () => httpGet(ports[name]!, '/readyz').then((r) => r.status, (error: Error) => error.message);
      await until(`${name} /readyz 200`, readyz, (status) => status === 200, readyTimeoutMs, processes[name]);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, processes, stop };
}
