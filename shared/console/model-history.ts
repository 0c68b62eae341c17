// Model versions per model from the model events, through the registry's own accumulator
// (shared/sdk/models/model-registry.ts), so the champion and the fencing of stale promotions
// follow exactly the rules `driftwatch models` and ModelWatcher apply.
import type { ModelEvent } from '../codec/index.js';
import { compareVersions, ModelAccumulator, type ModelVersionView } from '../sdk/models/model-registry.js';

export interface VersionEntry {
  version: string;
  status: ModelVersionView['status'];
  time: number;
  parentVersion: string | null;
  trigger: ModelVersionView['trigger'];
  metric: string | null;
  challengerMetrics: Record<string, number>;
  championMetrics: Record<string, number>;
  reason: string | null;
  incidentId: string | null;
  trainingSize: number;
  events: { status: ModelVersionView['status']; time: number }[];
}

function versionEntry(view: ModelVersionView): VersionEntry {
  return {
    version: view.version,
    status: view.status,
    time: view.time,
    parentVersion: view.parentVersion,
    trigger: view.trigger,
    metric: view.metric,
    challengerMetrics: view.metrics,
    championMetrics: view.championMetrics,
    reason: view.reason,
    incidentId: view.incidentId,
    trainingSize: view.trainingSize,
    events: view.history.map(({ status, time }) => ({ status, time })),
  };
}

export class ModelHistory {
  private readonly models = new Map<string, ModelAccumulator>();

  /** Applies one event (in topic order); the version's entry after it. */
  apply(event: ModelEvent, offset: number): VersionEntry {
    let acc = this.models.get(event.model);
    if (!acc) this.models.set(event.model, (acc = new ModelAccumulator()));
    acc.apply(event, offset);
    return versionEntry(acc.versions.get(event.version)!);
  }

  /** Model events applied, all models together (they are kept whole: the topic is compacted). */
  get size(): number {
    let n = 0;
    for (const acc of this.models.values()) for (const version of acc.versions.values()) n += version.history.length;
    return n;
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  has(model: string): boolean {
    return this.models.has(model);
  }

  champion(model: string): string | null {
    return this.models.get(model)?.tracker.champion ?? null;
  }

  /** Versions by version order. */
  versions(model: string): VersionEntry[] {
    const acc = this.models.get(model);
    if (!acc) return [];
    return [...acc.versions.values()].sort((a, b) => compareVersions(a.version, b.version)).map(versionEntry);
  }
}
