#!/usr/bin/env node
// The console: a dashboard (page, JSON API, server-sent events) over the metrics, alerts,
// models and incidents topics, rebuilt from the log on start and followed live. Read-only but
// for two actions: a manual retrain (forwarded to the retrainer) and a rollback (a model event).
// HTTP: DW_CONSOLE_PORT (default 8090; 127.0.0.1 only unless DW_CONSOLE_TOKEN is set); ops
// (/healthz, /readyz, /metrics) on DW_HTTP_PORT (default 9467). Reference: docs/console.md.
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { DEFAULT_CONSOLE_OPS_PORT, loadConsoleConfig } from '../../shared/console/console-config.js';
import { startConsole } from '../../shared/console/console-service.js';
import { modelStoreFromEnv } from '../../shared/models/local-model-store.js';
import { opsPortFromEnv } from '../../shared/runtime/run-service.js';
import { runMain } from '../../shared/runtime/run-main.js';

await runMain('console', async (logger) => {
  // Set once started; a failure reported before that has nothing to stop yet.
  const started: { handle?: Awaited<ReturnType<typeof startConsole>> } = {};
  started.handle = await startConsole({
    runtime: { ...loadRuntimeConfig(), mode: 'distributed' },
    console: loadConsoleConfig(),
    monitoring: loadMonitoringConfig(),
    models: modelStoreFromEnv(process.env),
    logger,
    ops: { port: opsPortFromEnv(process.env, DEFAULT_CONSOLE_OPS_PORT) },
    handleSignals: true,
    // A rebuild that failed or a consumer that died for good: exit 1 so the supervisor restarts it.
    onFatal: () => {
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 15_000).unref();
      void (started.handle?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    },
  });
  return started.handle;
});
