// Verification of promoted versions from the metrics topic: each snapshot of a version whose
// incident waits for its verdict is judged (shared/retrain/verification.ts); the first verdict
// closes the incident as RECOVERED or NOT_RECOVERED, in the store and on the incidents topic.
import type { Logger } from 'pino';
import type { EventBus } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import type { MetricsSnapshot } from '../codec/events.generated.js';
import type { IncidentStore } from './incident-store.js';
import { verify } from './verification.js';

export interface VerifySnapshotsDeps {
  incidents: IncidentStore;
  bus: EventBus;
  codec: Codec;
  incidentsTopic: string;
  /** The model's retrain policy's `verifyAfter`. */
  verifyAfter(model: string): number;
  logger: Logger;
}

export async function verifySnapshots(deps: VerifySnapshotsDeps, snapshots: readonly MetricsSnapshot[]): Promise<void> {
  // One store read per (model, version) and batch; the first snapshot that settles it wins.
  const settled = new Set<string>();
  for (const snapshot of snapshots) {
    const key = `${snapshot.model}|${snapshot.modelVersion}`;
    if (settled.has(key)) continue;
    const incident = await deps.incidents.awaitingVerification(snapshot.model, snapshot.modelVersion);
    if (incident === null || incident.verification === null || incident.metric === null) {
      settled.add(key);
      continue;
    }
    const verdict = verify(
      {
        model: incident.model,
        version: snapshot.modelVersion,
        metric: incident.metric,
        baseline: incident.verification.baseline,
        tolerance: incident.verification.tolerance,
        verifyAfter: deps.verifyAfter(incident.model),
      },
      snapshot,
    );
    if (verdict === null) continue;
    settled.add(key);
    const done = { ...incident, status: verdict.status, verification: verdict, updatedAt: Date.now() };
    await deps.incidents.save(done);
    const encoded = deps.codec.encode('incident', done);
    await deps.bus.publish(deps.incidentsTopic, [{ key: done.id, value: encoded.value, headers: encoded.headers }]);
    deps.logger.info({ model: done.model, version: snapshot.modelVersion, ...verdict }, 'retrain verified');
  }
}
