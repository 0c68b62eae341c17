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
  http: { port: opsPortFromEnv(process.env, 9465) },
});
