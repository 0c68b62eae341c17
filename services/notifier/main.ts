#!/usr/bin/env node
// The notifier: forwards alert transitions from the alerts topic to webhooks, Slack and
// Alertmanager, once per (alert, sink), with retries and dead letters. Sinks come from
// DW_NOTIFY_CONFIG (a JSON/YAML file) or DW_NOTIFY_* variables: docs/notifications.md.
// HTTP (DW_HTTP_PORT, default 9468): /healthz, /readyz, /metrics.
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { loadNotifyConfig } from '../../shared/notify/notify-config.js';
import { startNotifierService } from '../../shared/pipeline/notifier-service.js';
import { exitOnFatal, opsPortFromEnv } from '../../shared/runtime/run-service.js';
import { runMain } from '../../shared/runtime/run-main.js';

// Start-up errors (bad settings, Redis or Kafka refusing) become one log line and exit status 1 (2 for settings).
await runMain('notifier', (logger) =>
  startNotifierService({
    config: { ...loadRuntimeConfig(), mode: 'distributed' },
    logger,
    notify: loadNotifyConfig(),
    // DW_GROUP_ID: another consumer group, e.g. a second notifier with other sinks.
    ...(process.env.DW_GROUP_ID ? { groupId: process.env.DW_GROUP_ID } : {}),
    http: { port: opsPortFromEnv(process.env, 9468) },
    // A consumer that died for good: exit non-zero so the supervisor starts a fresh process.
    onFatal: exitOnFatal(),
  }),
);
