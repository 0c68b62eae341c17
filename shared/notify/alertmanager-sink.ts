// Prometheus Alertmanager, API v2: POST /api/v2/alerts. Alertmanager routes, groups, silences
// and notifies by labels, and treats alerts with the same labels as one alert: a FIRING and
// its RESOLVED carry the same labels, so the RESOLVED (endsAt = the resolve time) ends it.
//
// Two things differ from Prometheus, which re-sends every firing alert each evaluation:
// - driftwatch sends a transition once, so a FIRING gets an explicit endsAt `firingTtl` ahead
//   (default 7 days) instead of none: without one Alertmanager resolves an alert it has not
//   heard of for resolve_timeout (5 minutes). The RESOLVED, when it comes, ends it earlier.
// - severity is a label (routes and inhibitions use it) but changes while an alert fires
//   (WARNING escalates to CRITICAL), and a new severity is a new alert to Alertmanager. So the
//   sink remembers (SinkMemory, per alert key) which severity it last sent firing, and the
//   next transition of the key also resolves that one: an escalation ends the WARNING alert,
//   a RESOLVED ends whichever severity fired. It never resolves a severity it did not send,
//   which Alertmanager would show in the group's next notification as a resolved alert.
import { z } from 'zod';
import { formatNumber, formatWindowRange } from '../alerts/alert-event.js';
import type { Alert, Severity } from '../codec/events.generated.js';
import { parseDuration } from '../config/monitoring-config.js';
import { postJson } from './http-post.js';
import { secretString, secretUrl } from './secret-value.js';
import type { Sink } from './sink.js';
import type { SinkKind } from './sink-kind.js';
import { jsonEnv } from './webhook-sink.js';

const SEVERITIES: readonly Severity[] = ['INFO', 'WARNING', 'CRITICAL'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const settings = z.strictObject({
  /** Alertmanager's base URL, e.g. http://alertmanager:9093 (the path /api/v2/alerts is appended). */
  url: secretUrl,
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'not a header name'), secretString).default({}),
  /** Static labels added to every alert (e.g. env: prod); driftwatch's own labels win on a clash. */
  labels: z.record(z.string().regex(LABEL_NAME, 'not a Prometheus label name'), z.string()).default({}),
  firingTtl: z
    .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration like 12h or 7d')])
    .default('7d')
    .transform((v) => parseDuration(v)),
});

export type AlertmanagerSettings = z.output<typeof settings>;

/** Alertmanager's PostableAlert. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt: string;
}

export interface AlertmanagerFormat {
  labels: Record<string, string>;
  firingTtlMs: number;
  now: number;
  /** The severity of this key the sink last sent firing, if it is still firing; null for none. */
  previous: Severity | null;
}

/** The label set of one severity of an alert key: identical for its FIRING and its RESOLVED. */
export function alertmanagerLabels(alert: Alert, severity: Severity, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    alertname: `Driftwatch${pascal(alert.kind)}`,
    model: alert.model,
    version: alert.modelVersion,
    kind: alert.kind,
    metric: alert.metric,
    ...(alert.feature !== null ? { feature: alert.feature } : {}),
    severity: severity.toLowerCase(),
  };
}

/** What one transition posts: the alert at its severity, and the key's previous severity resolved if it differs. */
export function alertmanagerAlerts(alert: Alert, format: AlertmanagerFormat): PostableAlert[] {
  const at = new Date(alert.time).toISOString();
  const annotations = alertmanagerAnnotations(alert);
  const posted: PostableAlert[] = [];
  if (format.previous !== null && format.previous !== alert.severity) {
    posted.push({ labels: alertmanagerLabels(alert, format.previous, format.labels), annotations, endsAt: at });
  }
  const labels = alertmanagerLabels(alert, alert.severity, format.labels);
  if (alert.status === 'FIRING') {
    posted.push({ labels, annotations, startsAt: at, endsAt: new Date(Math.max(alert.time, format.now) + format.firingTtlMs).toISOString() });
  } else {
    posted.push({ labels, annotations, endsAt: at });
  }
  return posted;
}

export function alertmanagerAnnotations(alert: Alert): Record<string, string> {
  const what = alert.feature === null ? alert.metric : `${alert.metric} of ${alert.feature}`;
  const description =
    `${alert.status} ${alert.severity} ${alert.kind} on ${alert.model} v${alert.modelVersion}: ` +
    `${what} = ${formatNumber(alert.value)} (threshold ${formatNumber(alert.threshold)}) over ` +
    `${formatWindowRange(alert.window.start, alert.window.end)} (${alert.window.count} events)` +
    (alert.detector ? `, detector ${alert.detector}` : '');
  return { summary: alert.message, description, alert_id: alert.id };
}

function pascal(kind: string): string {
  return kind
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** `<base>/api/v2/alerts`, keeping a base path (an Alertmanager behind a path prefix). */
export function alertsEndpoint(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v2/alerts`;
  return url.toString();
}

export const alertmanagerSinkKind: SinkKind<typeof settings> = {
  kind: 'alertmanager',
  settings,
  fromEnv: (env) =>
    env.DW_NOTIFY_ALERTMANAGER_URL
      ? {
          url: env.DW_NOTIFY_ALERTMANAGER_URL,
          ...(env.DW_NOTIFY_ALERTMANAGER_LABELS ? { labels: jsonEnv(env, 'DW_NOTIFY_ALERTMANAGER_LABELS') } : {}),
          ...(env.DW_NOTIFY_ALERTMANAGER_FIRING_TTL ? { firingTtl: env.DW_NOTIFY_ALERTMANAGER_FIRING_TTL } : {}),
        }
      : undefined,
  create: (name, { url, headers, labels, firingTtl }, { timeoutMs, memory }): Sink => {
    const endpoint = alertsEndpoint(url);
    return {
      name,
      kind: 'alertmanager',
      deliver: async (alert, signal) => {
        const remembered = await memory.get(alert.key);
        const previous = SEVERITIES.includes(remembered as Severity) ? (remembered as Severity) : null;
        await postJson(endpoint, alertmanagerAlerts(alert, { labels, firingTtlMs: firingTtl, now: Date.now(), previous }), { headers, timeoutMs, signal });
        // Only once Alertmanager has it: a retry of this transition must resolve the same previous severity.
        if (alert.status === 'FIRING') await memory.set(alert.key, alert.severity, firingTtl);
        else await memory.delete(alert.key);
      },
    };
  },
};
