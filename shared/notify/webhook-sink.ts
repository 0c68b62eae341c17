// Generic JSON webhook: POSTs the alert itself as JSON (the fields of schemas/alert.avsc,
// times in ms since the epoch), with the configured headers (e.g. Authorization) and an
// Idempotency-Key of the alert id, so a receiver can drop the rare repeat (docs/notifications.md).
import { z } from 'zod';
import type { Alert } from '../codec/events.generated.js';
import { ConfigError } from '../config/runtime-config.js';
import { postJson } from './http-post.js';
import { secretString, secretUrl } from './secret-value.js';
import type { Sink } from './sink.js';
import type { SinkKind } from './sink-kind.js';

const settings = z.strictObject({
  url: secretUrl,
  /** Extra request headers; every value is a secret (never logged). */
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'not a header name'), secretString).default({}),
});

export type WebhookSettings = z.output<typeof settings>;

/** The request a webhook receiver gets for an alert. */
export function webhookRequest(alert: Alert): { body: Alert; headers: Record<string, string> } {
  return { body: alert, headers: { 'idempotency-key': alert.id } };
}

export const webhookSinkKind: SinkKind<typeof settings> = {
  kind: 'webhook',
  settings,
  fromEnv: (env) =>
    env.DW_NOTIFY_WEBHOOK_URL
      ? { url: env.DW_NOTIFY_WEBHOOK_URL, ...(env.DW_NOTIFY_WEBHOOK_HEADERS ? { headers: jsonEnv(env, 'DW_NOTIFY_WEBHOOK_HEADERS') } : {}) }
      : undefined,
  create: (name, { url, headers }, { timeoutMs }): Sink => ({
    name,
    kind: 'webhook',
    deliver: (alert, signal) => {
      const request = webhookRequest(alert);
      return postJson(url, request.body, { headers: { ...headers, ...request.headers }, timeoutMs, signal });
    },
  }),
};

/** An environment variable holding JSON (a ConfigError naming it, never quoting it, when it is not). */
export function jsonEnv(env: NodeJS.ProcessEnv, name: string): unknown {
  try {
    return JSON.parse(env[name] ?? '');
  } catch {
    throw new ConfigError(`invalid environment: ${name} is not valid JSON (expected an object such as {"Authorization": "Bearer …"})`);
  }
}
