// `driftwatch status`: is the stack working? Each service's readiness (GET /readyz on its URL,
// service-table.ts) and the consumer lag of each driftwatch consumer group (consumer-lag.ts),
// as two tables or one JSON object. Exit 1 when a service is not ready or Kafka cannot be asked.
import type { RuntimeConfig } from '../../shared/config/runtime-config.js';
import { Kafka, logLevel } from 'kafkajs';
import { InvalidArgumentError, type Command } from 'commander';
import { securityOptions } from '../../shared/bus/kafka-bus.js';
import { table } from '../../shared/report/text-table.js';
import { topicNames } from '../../shared/topics.js';
import { consumerLag, type GroupLag } from './consumer-lag.js';
import { loadCliRuntimeConfig } from './connect-bus.js';
import { CliError, type CliStreams } from './program.js';
import { readiness, type Readiness } from './service-readiness.js';
import { findService, SERVICES, serviceEntry, serviceNames, serviceUrl, type ServiceRow } from './service-table.js';

export interface StatusCommandDeps extends CliStreams {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

interface StatusOptions {
  service?: string[];
  json?: boolean;
}

interface ServiceStatus extends Readiness {
  service: string;
  url: string;
  /** Not asked: an optional service this build does not have, and --service did not name. */
  skipped?: boolean;
}

const CONNECT_TIMEOUT_MS = 5_000;

const shown = (url: URL): string => url.href.replace(/\/$/, '');

/** --service, repeatable; an unknown name is a usage error (exit 2), as for `service`. */
const collectService = (value: string, previous: string[] = []): string[] => {
  if (!findService(value)) throw new InvalidArgumentError(`unknown service "${value}"; known services: ${serviceNames().join(', ')}`);
  return [...previous, value];
};

function chosenServices(names: string[] | undefined): { rows: ServiceRow[]; explicit: boolean } {
  if (!names?.length) return { rows: [...SERVICES], explicit: false };
  return {
    explicit: true,
    rows: names.map((name) => findService(name)!),
  };
}

async function serviceStatuses(deps: StatusCommandDeps, env: NodeJS.ProcessEnv, names: string[] | undefined): Promise<ServiceStatus[]> {
  const { rows, explicit } = chosenServices(names);
  return Promise.all(
    rows.map(async (row): Promise<ServiceStatus> => {
      let url: URL;
      try {
        url = serviceUrl(row, env);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      if (row.optional && !explicit && !serviceEntry(row.name).exists) {
        return { service: row.name, url: shown(url), ready: false, detail: 'not in this build', skipped: true };
      }
      const reason = explicit ? null : (row.skipReason?.(env) ?? null);
      if (reason !== null) return { service: row.name, url: shown(url), ready: false, detail: `not started: ${reason}`, skipped: true };
      return { service: row.name, url: shown(url), ...(await readiness(url, deps.fetch)) };
    }),
  );
}

async function groupLags(runtime: RuntimeConfig, rows: ServiceRow[]): Promise<GroupLag[]> {
  const prefix = runtime.topics.prefix;
  const topics = topicNames(prefix);
  const kafka = new Kafka({
    brokers: runtime.kafka.brokers,
    clientId: `${runtime.kafka.clientId}-status`,
    ...securityOptions({ ssl: runtime.kafka.ssl, ...(runtime.kafka.sasl ? { sasl: runtime.kafka.sasl } : {}) }),
    connectionTimeout: CONNECT_TIMEOUT_MS,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const expected = rows.flatMap((row) => row.groups.map((g) => ({ group: `${prefix}${g.suffix}`, topics: g.topics.map((t) => topics[t]) })));
    return await consumerLag(admin, prefix, expected);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function servicesText(statuses: ServiceStatus[]): string {
  return table(
    ['SERVICE', 'URL', 'READY', 'DETAIL'],
    statuses.map((s) => [s.service, s.url, s.skipped ? '-' : s.ready ? 'yes' : 'NO', s.detail]),
  );
}

function lagText(lags: GroupLag[]): string {
  if (lags.length === 0) return 'No driftwatch consumer groups.\n';
  return table(
    ['GROUP', 'TOPIC', 'STATE', 'LAG'],
    lags.map((l) => [l.group, l.topic, l.state, l.lag === null ? 'topic missing' : `${l.lag}${l.committed ? '' : ' (nothing committed)'}`]),
  );
}

async function status(deps: StatusCommandDeps, options: StatusOptions): Promise<void> {
  const env = deps.env ?? process.env;
  const runtime = loadCliRuntimeConfig(env);
  const [services, lags] = await Promise.all([
    serviceStatuses(deps, env, options.service),
    groupLags(runtime, chosenServices(options.service).rows).then(
      (rows) => ({ rows, error: null as string | null }),
      (error: Error) => ({ rows: [] as GroupLag[], error: `cannot read consumer lag from ${runtime.kafka.brokers.join(',')}: ${error.message}` }),
    ),
  ]);
  const notReady = services.filter((s) => !s.ready && !s.skipped);
  if (options.json) {
    const body = { ready: notReady.length === 0 && lags.error === null, services, consumerGroups: lags.rows, ...(lags.error ? { kafkaError: lags.error } : {}) };
    deps.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    deps.stdout.write(`${servicesText(services)}\n${lags.error ? `${lags.error}\n` : lagText(lags.rows)}`);
  }
  if (lags.error !== null) throw new CliError(lags.error);
  if (notReady.length > 0) throw new CliError(`not ready: ${notReady.map((s) => s.service).join(', ')}`);
}

/** Adds `status` to the program. */
export function registerStatusCommand(program: Command, deps: StatusCommandDeps): void {
  program
    .command('status')
    .description("Each service's readiness (GET /readyz) and the consumer lag of each driftwatch consumer group on its topics.")
    .option('--service <name>', `only this service (repeat for several): ${serviceNames().join(', ')}`, collectService)
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nService URLs: ' +
        SERVICES.map((s) => `${s.urlVariable} (default ${s.defaultUrl})`).join(', ') +
        '.\nConsumer groups: <DW_TOPIC_PREFIX><service> as the services name them, and any other group with the prefix; ' +
        'lag = messages between the group\'s committed offset and the end of each partition.\n' +
        'Optional services (console, notifier) missing from this build are listed but not asked, unless named with --service.\n' +
        'Exit codes: 0 every service ready; 1 a service not ready or Kafka unreachable; 2 usage.',
    )
    .action((options: StatusOptions) => status(deps, options));
}
