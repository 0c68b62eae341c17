// services/<name>/main.ts with the consumer group taken from DW_BENCH_GROUP_ID: the
// entrypoints use the fixed production groups, which concurrent runs on the shared dev
// broker (other prefixes, other tests) would join too and rebalance with.
import { loadMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import { opsPortFromEnv } from '../../shared/runtime/run-service.js';

const name = process.argv[2];
const groupId = process.env.DW_BENCH_GROUP_ID;
if ((name !== 'performance' && name !== 'drift') || !groupId) {
  throw new Error('usage: DW_BENCH_GROUP_ID=<group> service-main.ts performance|drift');
}
const start = name === 'performance' ? startPerformanceService : startDriftService;
await start({
  config: { ...loadRuntimeConfig(), mode: 'distributed' },
  monitoring: loadMonitoringConfig(),
  http: { port: opsPortFromEnv(process.env, 0) },
  groupId,
});
