// Per-model monitoring settings, resolved once per model and cached; a model without a
// config section is logged, rate-limited (issue 9: 50,000 model names made 50,000 lines), so
// operators see which models run on inferred defaults. The cache is emptied of a model by
// the pipelines' IdleModels (model-gate.ts), so it holds at most the admitted models.
import type { Logger } from 'pino';
import { resolveModelConfig, type ModelConfig, type MonitoringConfig } from '../config/monitoring-config.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import type { WindowSettings } from '../monitor-state/types.js';

export class ModelSettingsCache {
  private readonly cache = new Map<string, ModelConfig>();
  private readonly log: RateLimitedLog;

  constructor(
    private readonly config: MonitoringConfig,
    logger: Logger | RateLimitedLog,
  ) {
    this.log = logger instanceof RateLimitedLog ? logger : new RateLimitedLog(logger);
  }

  get(model: string): ModelConfig {
    let settings = this.cache.get(model);
    if (settings === undefined) {
      const resolved = resolveModelConfig(this.config, model);
      if (resolved.inferred) {
        this.log.info({ model }, 'no monitoring config for this model: monitoring it with inferred defaults');
      }
      settings = resolved;
      this.cache.set(model, settings);
    }
    return settings;
  }

  delete(model: string): void {
    this.cache.delete(model);
  }

  get size(): number {
    return this.cache.size;
  }
}

/** `partitions`: of the source topics, so the watermark waits for all of them (see WindowSettings). */
export function windowSettings(settings: ModelConfig, partitions: number): WindowSettings {
  return {
    bucketMs: settings.bucketMs,
    horizonsMs: settings.horizons.map((h) => h.ms),
    everyMs: settings.horizons.map((h) => h.everyMs),
    retentionMs: settings.retentionMs,
    sourcePartitions: partitions,
    idleMs: settings.idleExpiryMs,
  };
}
