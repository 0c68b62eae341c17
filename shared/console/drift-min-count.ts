// The minCount the page needs per horizon: the smallest of the model's drift rules (its own
// section of the monitoring config, else the defaults), so the page shows no drift verdict
// for a window the monitors would not alert on either.
import { resolveModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';
import { smallestDriftMinCount } from '../monitor/drift-min-count.js';

/** `{ horizon: minCount }` for one model; `{}` when no drift rule applies to it. */
export function driftMinCountByHorizon(monitoring: MonitoringConfig, model: string): Record<string, number> {
  const settings = resolveModelConfig(monitoring, model);
  const min = smallestDriftMinCount(settings.alerts);
  if (min === undefined) return {};
  return Object.fromEntries(settings.horizons.map((horizon) => [horizon.name, min]));
}
