// The services of the distributed stack as the CLI knows them: `start` runs them all, `service`
// runs one, `status` asks each one's /readyz and measures its consumer groups' lag. A service
// is one row; `optional` rows are skipped by `start` when their entry is not built.
import { existsSync } from 'node:fs';
import { extname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notifySinksConfigured } from '../../shared/notify/notify-config.js';
import type { TopicKind } from '../../shared/topics.js';

export interface ConsumerGroup {
  /** After the topic prefix: the services name their groups `<DW_TOPIC_PREFIX><suffix>`. */
  suffix: string;
  topics: TopicKind[];
}

export interface ServiceRow {
  name: string;
  /** What it does, for `--help` and `service` errors. */
  summary: string;
  /** Its ops server (/readyz, /metrics): this variable, else `defaultUrl`. */
  urlVariable: string;
  defaultUrl: string;
  /** Groups `status` reports even before they committed anything. */
  groups: ConsumerGroup[];
  /** `start` goes on without it when its entry is missing from the build. */
  optional?: boolean;
  /** Why `start` (and `status`) leave it out in this environment; null when it should run. */
  skipReason?: (env: NodeJS.ProcessEnv) => string | null;
}

export const SERVICES: readonly ServiceRow[] = [
  {
    name: 'performance',
    summary: 'joins predictions with labels; performance and concept-drift alerts',
    urlVariable: 'DW_PERFORMANCE_URL',
    defaultUrl: 'http://127.0.0.1:9464',
    groups: [{ suffix: 'performance', topics: ['predictions', 'labels'] }],
  },
  {
    name: 'drift',
    summary: 'feature and prediction distributions against the reference; data-drift and quality alerts',
    urlVariable: 'DW_DRIFT_URL',
    defaultUrl: 'http://127.0.0.1:9465',
    groups: [{ suffix: 'drift', topics: ['predictions'] }],
  },
  {
    name: 'retrainer',
    summary: 'retrains a model on its alerts, gates and promotes the challenger',
    urlVariable: 'DW_RETRAINER_URL',
    defaultUrl: 'http://127.0.0.1:9466',
    groups: [
      { suffix: 'retrainer', topics: ['alerts'] },
      { suffix: 'retrainer-verify', topics: ['metrics'] },
    ],
  },
  { name: 'console', summary: 'the web console', urlVariable: 'DW_CONSOLE_URL', defaultUrl: 'http://127.0.0.1:9467', groups: [], optional: true },
  {
    name: 'notifier',
    summary: 'delivers alert notifications',
    urlVariable: 'DW_NOTIFIER_URL',
    defaultUrl: 'http://127.0.0.1:9468',
    groups: [{ suffix: 'notifier', topics: ['alerts'] }],
    optional: true,
    // It refuses to start without a sink; a stack without notifications is a normal set-up.
    skipReason: (env) =>
      notifySinksConfigured(env) ? null : 'no notification sink configured (DW_NOTIFY_WEBHOOK_URL, DW_NOTIFY_SLACK_URL, DW_NOTIFY_ALERTMANAGER_URL or DW_NOTIFY_CONFIG)',
  },
];

export const serviceNames = (): string[] => SERVICES.map((s) => s.name);

export function findService(name: string): ServiceRow | undefined {
  return SERVICES.find((s) => s.name === name);
}

/** The service's ops URL from the environment, without a trailing slash. */
export function serviceUrl(row: ServiceRow, env: NodeJS.ProcessEnv): URL {
  const text = env[row.urlVariable]?.trim() || row.defaultUrl;
  try {
    return new URL(text);
  } catch {
    throw new RangeError(`${row.urlVariable} is not a URL: "${text}" (expected e.g. ${row.defaultUrl})`);
  }
}

/** The port of the service's URL: what `start` and `service` give it as DW_HTTP_PORT. */
export function servicePort(row: ServiceRow, env: NodeJS.ProcessEnv): number {
  const url = serviceUrl(row, env);
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * The service's built entry next to this CLI: dist/services/<name>/main.js when the CLI runs
 * built, services/<name>/main.ts when it runs from source under tsx.
 */
export function serviceEntry(name: string, cliModuleUrl: string = import.meta.url): { path: string; exists: boolean; shown: string } {
  const extension = extname(fileURLToPath(cliModuleUrl));
  const path = fileURLToPath(new URL(`../${name}/main${extension}`, cliModuleUrl));
  return { path, exists: existsSync(path), shown: relative(process.cwd(), path) || path };
}
