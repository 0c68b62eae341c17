#!/usr/bin/env node
// The drift service: windows feature and prediction distributions against each model
// version's reference, evaluates data drift, prediction drift and data quality.
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { startDriftService } from '../../shared/pipeline/services.js';
import { opsPortFromEnv } from '../../shared/runtime/run-service.js';

await startDriftService({
  config: { ...loadRuntimeConfig(), mode: 'distributed' },
  monitoring: loadMonitoringConfig(),
  // DW_GROUP_ID: another consumer group, e.g. a second monitor of the same topics.
  ...(process.env.DW_GROUP_ID ? { groupId: process.env.DW_GROUP_ID } : {}),
  http: { port: opsPortFromEnv(process.env, 9465) },
});
