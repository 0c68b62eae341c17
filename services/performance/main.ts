#!/usr/bin/env node
// The performance service: joins predictions with labels, windows outcomes, evaluates
// performance and concept drift. Settings from the environment (README) and the
// monitoring config file named by DW_MONITORING_CONFIG.
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { startPerformanceService } from '../../shared/pipeline/services.js';
import { exitOnFatal, opsPortFromEnv } from '../../shared/runtime/run-service.js';
import { runMain } from '../../shared/runtime/run-main.js';

// Start-up errors (bad settings, Redis or Kafka refusing) become one log line and exit status 1 (2 for settings).
await runMain('performance', (logger) =>
  startPerformanceService({
    config: { ...loadRuntimeConfig(), mode: 'distributed' },
    logger,
    monitoring: loadMonitoringConfig(),
    // DW_GROUP_ID: another consumer group, e.g. a second monitor of the same topics.
    ...(process.env.DW_GROUP_ID ? { groupId: process.env.DW_GROUP_ID } : {}),
    http: { port: opsPortFromEnv(process.env, 9464) },
    // A consumer that died for good: exit non-zero so the supervisor starts a fresh process.
    onFatal: exitOnFatal(),
  }),
);
