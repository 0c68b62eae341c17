// Incidents (retrain records) by id, the latest value of each: an older update delivered late
// never replaces a newer one. Bounded by time (last update older than the history) and count.
import type { Incident } from '../codec/index.js';

export interface RetrainEntry {
  incidentId: string;
  model: string;
  status: Incident['status'];
  openedAt: number;
  updatedAt: number;
  championVersion: string | null;
  challengerVersion: string | null;
  triggers: Incident['triggers'];
}

export class IncidentHistory {
  private readonly byId = new Map<string, Incident>();

  constructor(private readonly maxIncidents: number) {}

  get size(): number {
    return this.byId.size;
  }

  /** True when the incident is now the held value (new, or at least as recent as the one held). */
  add(incident: Incident, cutoff: number): boolean {
    if (incident.updatedAt < cutoff) return false;
    const known = this.byId.get(incident.id);
    if (known && known.updatedAt > incident.updatedAt) return false;
    this.byId.set(incident.id, incident);
    if (this.byId.size > this.maxIncidents) {
      const oldest = [...this.byId.values()].sort((a, b) => a.updatedAt - b.updatedAt).slice(0, this.byId.size - this.maxIncidents);
      for (const stale of oldest) this.byId.delete(stale.id);
    }
    return this.byId.has(incident.id);
  }

  prune(cutoff: number): void {
    for (const [id, incident] of this.byId) if (incident.updatedAt < cutoff) this.byId.delete(id);
  }

  /** Newest openedAt first. */
  list(model?: string): Incident[] {
    return [...this.byId.values()].filter((i) => model === undefined || i.model === model).sort((a, b) => b.openedAt - a.openedAt || b.updatedAt - a.updatedAt);
  }

  retrains(model?: string): RetrainEntry[] {
    return this.list(model).map((i) => ({
      incidentId: i.id,
      model: i.model,
      status: i.status,
      openedAt: i.openedAt,
      updatedAt: i.updatedAt,
      championVersion: i.championVersion,
      challengerVersion: i.challengerVersion,
      triggers: i.triggers,
    }));
  }

  models(): string[] {
    return [...new Set([...this.byId.values()].map((i) => i.model))];
  }
}
