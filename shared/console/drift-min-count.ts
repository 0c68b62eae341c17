// GET /api/config's minCount: the fewest predictions a window needs before the drift rules judge
// it (their smallest minCount), per horizon of the default model settings, so the page shows no
// drift verdict for a window the monitors would not alert on either.
import { resolveModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';

const DRIFT_METRICS = /^(drift:.*|prediction_drift|dataset_drift_share)$/;

export function driftMinCount(monitoring: MonitoringConfig): Record<string, number> {
  // No model is named: the defaults section decides (a model's own rules may differ).
  const settings = resolveModelConfig(monitoring, '\u0000defaults');
  const counts = settings.alerts.filter((rule) => DRIFT_METRICS.test(rule.metric)).map((rule) => rule.minCount);
  if (counts.length === 0) return {};
  const min = Math.min(...counts);
  return Object.fromEntries(settings.horizons.map((horizon) => [horizon.name, min]));
}
