// Per-model monitoring settings, resolved once per model and cached; a model without a
// config section is logged once, so operators see which models run on inferred defaults.
import type { Logger } from 'pino';
import { resolveModelConfig, type ModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';
import type { WindowSettings } from '../monitor-state/types.js';

export class ModelSettingsCache {
  private readonly cache = new Map<string, ModelConfig>();

  constructor(
    private readonly config: MonitoringConfig,
    private readonly logger: Logger,
  ) {}

  get(model: string): ModelConfig {
    let settings = this.cache.get(model);
    if (settings === undefined) {
      const resolved = resolveModelConfig(this.config, model);
      if (resolved.inferred) {
        this.logger.info({ model }, 'no monitoring config for this model: monitoring it with inferred defaults');
      }
      settings = resolved;
      this.cache.set(model, settings);
    }
    return settings;
  }
}

/** `partitions`: of the source topics, so the watermark waits for all of them (see WindowSettings). */
export function windowSettings(settings: ModelConfig, partitions: number): WindowSettings {
  return {
    bucketMs: settings.bucketMs,
    horizonsMs: settings.horizons.map((h) => h.ms),
    retentionMs: settings.retentionMs,
    sourcePartitions: partitions,
  };
}
