#!/usr/bin/env node
// The performance service: joins predictions with labels, windows outcomes, evaluates
// performance and concept drift. Settings from the environment (README) and the
// monitoring config file named by DW_MONITORING_CONFIG.
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { startPerformanceService } from '../../shared/pipeline/services.js';
import { opsPortFromEnv } from '../../shared/runtime/run-service.js';

await startPerformanceService({
  config: { ...loadRuntimeConfig(), mode: 'distributed' },
  monitoring: loadMonitoringConfig(),
  // DW_GROUP_ID: another consumer group, e.g. a second monitor of the same topics.
  ...(process.env.DW_GROUP_ID ? { groupId: process.env.DW_GROUP_ID } : {}),
  http: { port: opsPortFromEnv(process.env, 9464) },
});
