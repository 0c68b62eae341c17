#!/usr/bin/env node
// The drift service: windows feature and prediction distributions against each model
// version's reference, evaluates data drift, prediction drift and data quality.
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { startDriftService } from '../../shared/pipeline/services.js';
import { exitOnFatal, opsPortFromEnv } from '../../shared/runtime/run-service.js';
import { runMain } from '../../shared/runtime/run-main.js';

// Start-up errors (bad settings, Redis or Kafka refusing) become one log line and exit status 1 (2 for settings).
await runMain('drift', (logger) =>
  startDriftService({
    config: { ...loadRuntimeConfig(), mode: 'distributed' },
    logger,
    monitoring: loadMonitoringConfig(),
    // DW_GROUP_ID: another consumer group, e.g. a second monitor of the same topics.
    ...(process.env.DW_GROUP_ID ? { groupId: process.env.DW_GROUP_ID } : {}),
    http: { port: opsPortFromEnv(process.env, 9465) },
    // A consumer that died for good: exit non-zero so the supervisor starts a fresh process.
    onFatal: exitOnFatal(),
  }),
);
