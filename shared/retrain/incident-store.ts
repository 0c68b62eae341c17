// Where incident records live: one JSON document per incident under the model's hash tag, and
// an index per model ordered by opening time. Redis in production, the keyspace's twin when
// embedded. The incidents topic carries the same records for consumers that do not read Redis
// (compacted, keyed by incident id: the durable copy).
//
// Bounded (issue 9): each save gives the record, the model's index and a verification pointer
// the model's incident TTL (incidentTtlMs in retrain-keys.ts, at least 30 days) from now; the
// index keeps the newest INCIDENT_INDEX_CAP ids; the deployment's set of models keeps itself
// alive as long as its members (add-member.lua) and models() drops members whose index expired.
import type { Incident } from '../codec/events.generated.js';
import { modelKey } from '../store/types.js';

export interface IncidentStore {
  save(incident: Incident): Promise<void>;
  get(model: string, id: string): Promise<Incident | null>;
  /** Newest first. */
  list(model: string, limit?: number): Promise<Incident[]>;
  /** Every model that has incidents. */
  models(): Promise<string[]>;
  /** The incident whose promoted `version` still waits for its verification, if any. */
  awaitingVerification(model: string, version: string): Promise<Incident | null>;
}

/** Ids kept in a model's index, newest first: as many as GET /incidents lists at most. */
export const INCIDENT_INDEX_CAP = 1000;

/** Models with incidents, per deployment (its topic prefix), like the pending retrains. */
export const incidentModelsKey = (namespace: string): string => `dw:incident-models:${namespace}`;

export function incidentKey(model: string, id: string): string {
  return modelKey(model, `incident:${id}`);
}

export function incidentIndexKey(model: string): string {
  return modelKey(model, 'incidents');
}

/** Points from a promoted version to the incident that waits for its verification. */
export function verificationKey(model: string, version: string): string {
  return modelKey(model, `verify:${version}`);
}

/** The version a save should point at its incident (set), or stop pointing (clear). */
export function verificationPointer(incident: Incident): { version: string; pending: boolean } | null {
  if (incident.challengerVersion === null || incident.verification === null) return null;
  return { version: incident.challengerVersion, pending: incident.verification.status === 'PENDING' };
}

/** JSON cannot hold bigint or Buffer; Avro longs arrive as numbers here, so a plain round trip is exact. */
export function incidentToJSON(incident: Incident): string {
  return JSON.stringify(incident);
}

export function incidentFromJSON(text: string): Incident {
  return JSON.parse(text) as Incident;
}
