#!/usr/bin/env node
// The retrainer: turns matching alerts into retrains of the model (TensorFlow.js, loaded on
// the first retrain), gates the challenger against the champion, publishes model events and
// keeps an incident record per retrain. Design: docs/design/retraining.md.
// HTTP (DW_HTTP_PORT, default 9466): /healthz, /readyz, /metrics, GET /incidents[/<model>[/<id>]],
// POST /retrain/<model>. Model versions go to DW_MODEL_STORE (default ./.driftwatch/models).
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { ConfigError, loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { modelStoreFromEnv } from '../../shared/models/local-model-store.js';
import { startRetrainerService } from '../../shared/pipeline/retrainer-service.js';
import { exitOnFatal, opsPortFromEnv } from '../../shared/runtime/run-service.js';
import { runMain } from '../../shared/runtime/run-main.js';

/** DW_RETRAIN_LOCK_TTL_MS: how long a killed instance's retrain stays locked before another retries it. */
function lockTtlFromEnv(env: NodeJS.ProcessEnv, fallback = 30_000): number {
  const text = env.DW_RETRAIN_LOCK_TTL_MS;
  if (text === undefined || text.trim() === '') return fallback;
  const ttl = Number(text);
  if (!Number.isSafeInteger(ttl) || ttl < 1) {
    throw new ConfigError(`DW_RETRAIN_LOCK_TTL_MS must be a positive integer of milliseconds, got "${text}"`);
  }
  return ttl;
}

// Start-up errors (bad settings, Redis or Kafka refusing) become one log line and exit status 1 (2 for settings).
await runMain('retrainer', (logger) =>
  startRetrainerService({
    config: { ...loadRuntimeConfig(), mode: 'distributed' },
    logger,
    monitoring: loadMonitoringConfig(),
    models: modelStoreFromEnv(process.env),
    lockTtlMs: lockTtlFromEnv(process.env),
    // DW_GROUP_ID: another consumer group, e.g. a second retrainer of the same topics.
    ...(process.env.DW_GROUP_ID ? { groupId: process.env.DW_GROUP_ID } : {}),
    http: { port: opsPortFromEnv(process.env, 9466) },
    // A consumer that died for good: exit non-zero so the supervisor starts a fresh process.
    onFatal: exitOnFatal(),
  }),
);
