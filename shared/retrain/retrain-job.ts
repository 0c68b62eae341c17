// One retrain of one model, run by whichever retrainer instance holds the model's lock:
// read the log, diagnose, train and gate (through `train`, the only step that loads tfjs),
// publish the model events and keep the incident record up to date. Every failure becomes a
// REJECTED or FAILED incident with its reason; nothing here throws past the job. Before every
// write (incident record, model event) the state guard confirms Redis still holds the state
// the job started from: after a loss it publishes no model event and writes nothing to Redis.
// A failure of the infrastructure (failure-kind.ts) before the decision is out asks for a retry:
// the result carries its time, the FAILED incident says when, and the retry's incident is a new
// one the FAILED one points at ("retried as <id>"), as for a run that was killed.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EventBus, LogReader } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import type { Incident, IncidentTrigger, ModelEventInput, ModelStatus } from '../codec/events.generated.js';
import { formatDuration, type ModelConfig } from '../config/monitoring-config.js';
import type { ModelManifest } from '../models/manifest.js';
import { publishModelEvent } from '../models/publish-model-event.js';
import type { ModelStore } from '../models/model-store.js';
import { RedisLostError } from '../runtime/redis-progress.js';
import type { TopicNames } from '../topics.js';
import { diagnose } from './diagnosis.js';
import { classifyFailure } from './failure-kind.js';
import { failureOutcome, type RetrainAttempt } from './retry-policy.js';
import { estimateDriftStart } from './drift-start.js';
import type { IncidentStore } from './incident-store.js';
import type { JoinedExample } from './join-examples.js';
import { readTrainingExamples } from './log-examples.js';
import type { Champion } from './champion.js';
import { chooseTrainingSet } from './training-set.js';
import type { TrainOutcome, TrainRequest } from './train-challenger.js';

/** Fencing: the job publishes only while the lock it was granted still holds. */
export interface JobLock {
  readonly token: number;
  holds(): Promise<boolean>;
}

/**
 * Redis's epoch as the retrainer checks it (RedisProgress): `check()` throws RedisLostError
 * once Redis lost its data since the process adopted its epoch; `lost` is then the reason.
 */
export interface StateGuard {
  readonly lost: string | null;
  check(): Promise<void>;
}

export interface RetrainDeps {
  bus: EventBus & LogReader;
  codec: Codec;
  topics: TopicNames;
  store: ModelStore;
  incidents: IncidentStore;
  logger: Logger;
  modelConfig(model: string): ModelConfig;
  /** The model's current champion as the models topic says, or null. */
  champion(model: string): Promise<Champion | null>;
  /** Trains and gates; injected so the tfjs-free parts of the job load without tfjs. */
  train(request: TrainRequest): Promise<TrainOutcome>;
  now?: () => number;
  /** Most examples one retrain reads into memory. */
  maxExamples?: number;
  /** Checked before every write of the job; none when embedded (no Redis to lose). */
  guard?: StateGuard;
}

export interface RetrainRequest {
  model: string;
  triggers: IncidentTrigger[];
  manual: boolean;
  lock: JobLock;
  /** Which run of the pending trigger this is, and the retry a transient failure of it gets. */
  attempt: RetrainAttempt;
}

export interface RetrainResult {
  incident: Incident;
  /** When the retry of a run that failed transiently is due; null when the run is over for good. */
  retryAt: number | null;
}

export class LostLockError extends Error {
  override readonly name = 'LostLockError';
}

export async function runRetrain(deps: RetrainDeps, request: RetrainRequest): Promise<RetrainResult> {
  const now = deps.now ?? Date.now;
  const { model } = request;
  const log = deps.logger.child({ model });
  const incident = openIncident(model, request.triggers, now());
  const save = async (changes: Partial<Incident>): Promise<void> => {
    Object.assign(incident, changes, { updatedAt: now() });
    await deps.guard?.check();
    await deps.incidents.save(incident);
    await deps.bus.publish(deps.topics.incidents, [encodeIncident(deps.codec, incident)]);
  };
  // Set once the decision's model event is out: the retrain is decided, and a failure after it
  // (recording the incident) is not retried, or a promoted model would be trained again.
  let decided = false;
  const reject = async (reason: string): Promise<RetrainResult> => {
    await publishRejection(deps, incident, request, reason);
    decided = true;
    await save({ status: 'REJECTED', decision: 'REJECTED', reason });
    return { incident, retryAt: null };
  };

  try {
    await closeAbandoned(deps, model, incident.id, now());
    if (request.attempt.retryOf !== null) await pointAtRetry(deps, model, request.attempt.retryOf, incident.id, now());
    await save({ status: 'TRAINING' });
    const config = deps.modelConfig(model);
    const policy = config.retrain;
    const champion = await deps.champion(model);
    incident.championVersion = champion?.version ?? null;
    if (config.task === 'regression') {
      return await reject(`model "${model}" is a regression model; the retrainer trains classifiers only`);
    }

    const alertStart = driftStartOf(request.triggers);
    const anchor = Math.max(now(), ...request.triggers.map((t) => t.windowEnd ?? 0));
    const from = anchor - policy.windowMs;
    const read = await readTrainingExamples({
      reader: deps.bus,
      codec: deps.codec,
      topics: deps.topics,
      model,
      fromTime: from,
      labelHorizonMs: config.labelHorizonMs,
    });
    log.info({ ...read.counts, from }, 'training data read from the log');

    if (champion === null && read.counts.predictions === 0) {
      // Older predictions make the model known: say the window is what is empty.
      const older = read.counts.outOfWindowPredictions;
      const window = `${formatDuration(policy.windowMs)} back from ${new Date(anchor).toISOString()}`;
      const reason =
        older > 0
          ? `no predictions of "${model}" in the training window (${window}); the ${older} read from the log are all older`
          : `unknown model "${model}": no promoted version and no predictions in the training window (${window})`;
      return await reject(reason);
    }
    const examples = read.examples;
    const driftStart = alertStart === null ? null : (estimateDriftStart(examples, alertStart - alertSpan(request.triggers)) ?? alertStart);
    log.info({ alertStart, driftStart }, 'drift start');
    const dataSummary = {
      from,
      to: anchor,
      predictions: read.counts.predictions,
      labels: read.counts.labels,
      joined: read.counts.joined,
    };
    const duringPredictions = driftStart === null ? read.counts.predictions : read.predictionTimes.filter((t) => t >= driftStart).length;
    await save({
      diagnosis: diagnose({ examples: asDiagnosed(examples), driftStart, metric: policy.metric, predictionsDuring: duringPredictions }),
      metric: policy.metric,
    });

    const chosen = chooseTrainingSet(examples, driftStart, {
      preDriftShare: policy.preDriftShare,
      minExamples: policy.minExamples,
      maxExamples: deps.maxExamples ?? 100_000,
    });
    if (!chosen.ok) {
      await save({ data: { ...dataSummary, train: emptySplit(), validation: emptySplit(), test: emptySplit() } });
      return await reject(chosen.reason);
    }

    const version = await deps.store.nextVersion(model);
    const outcome = await deps.train({
      model,
      version,
      parent: champion,
      examples: chosen.examples,
      policy,
      store: deps.store,
      logger: log,
    });
    await save({
      challengerVersion: outcome.manifest.version,
      data: { ...dataSummary, ...outcome.split },
      search: outcome.search,
      championMetrics: outcome.championMetrics,
      challengerMetrics: outcome.challengerMetrics,
      variants: outcome.variants,
    });

    await publishVersionEvent(deps, request, incident, outcome.manifest, 'CANDIDATE', outcome, null);
    await publishVersionEvent(deps, request, incident, outcome.manifest, outcome.decision, outcome, outcome.reason);
    decided = true;
    const baseline = incident.diagnosis?.metricBefore ?? outcome.challengerMetrics[policy.metric] ?? null;
    await save({
      status: outcome.decision,
      decision: outcome.decision,
      reason: outcome.reason,
      verification:
        outcome.decision === 'PROMOTED'
          ? { status: 'PENDING', baseline, observed: null, labelled: 0, tolerance: policy.recoveryTolerance, at: null }
          : null,
    });
    log.info({ version: outcome.manifest.version, decision: outcome.decision, reason: outcome.reason }, 'retrain finished');
    return { incident, retryAt: null };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ err: error }, 'retrain failed');
    if (error instanceof RedisLostError) {
      // Nothing more goes to a Redis that lost its data (the operator clears it); the incidents
      // topic still learns that this run ended, and why.
      const failed: Incident = { ...incident, status: 'FAILED', reason, updatedAt: now() };
      await deps.bus
        .publish(deps.topics.incidents, [encodeIncident(deps.codec, failed)])
        .catch((e: unknown) => log.error({ err: e }, 'could not publish the failure'));
      return { incident: failed, retryAt: null };
    }
    if (error instanceof LostLockError) {
      // Another instance owns the model now: it writes the record from here on.
      await deps.incidents
        .save({ ...incident, status: 'FAILED', reason, updatedAt: now() })
        .catch((e: unknown) => log.error({ err: e }, 'could not record the failure'));
      return { incident, retryAt: null };
    }
    const failure = failureOutcome(reason, !decided && classifyFailure(error) === 'transient', request.attempt, now());
    if (failure.retryAt !== null) log.warn({ attempt: request.attempt.number, of: request.attempt.of, retryAt: failure.retryAt }, 'transient failure; the retrain will be retried');
    // Recording it may fail for the same outage (Redis, Kafka): the retry still happens, and
    // finds this incident OPEN or TRAINING and closes it (closeAbandoned).
    await save({ status: 'FAILED', reason: failure.reason }).catch((e: unknown) => log.error({ err: e }, 'could not record the failure'));
    return { incident, retryAt: failure.retryAt };
  }
}

/**
 * Incidents of the model still OPEN or TRAINING belong to a run that died (the lock this job
 * holds excludes a live one): they are closed as FAILED, pointing at the retry.
 */
async function closeAbandoned(deps: RetrainDeps, model: string, retryId: string, at: number): Promise<void> {
  for (const old of await deps.incidents.list(model, 20)) {
    if (old.status !== 'OPEN' && old.status !== 'TRAINING') continue;
    const closed: Incident = { ...old, status: 'FAILED', reason: `the retrainer running it stopped before a decision${RETRIED_AS}${retryId}`, updatedAt: at };
    await deps.guard?.check();
    await deps.incidents.save(closed);
    await deps.bus.publish(deps.topics.incidents, [encodeIncident(deps.codec, closed)]);
  }
}

/**
 * The FAILED incident of a transient failure learns which incident retries it, as one closed by
 * closeAbandoned does. Once only: a retry that was itself killed leaves the pointer to the first.
 */
async function pointAtRetry(deps: RetrainDeps, model: string, failedId: string, retryId: string, at: number): Promise<void> {
  const failed = await deps.incidents.get(model, failedId);
  if (failed === null || failed.status !== 'FAILED' || failed.reason?.includes(RETRIED_AS)) return;
  const pointed: Incident = { ...failed, reason: `${failed.reason ?? 'failed'}${RETRIED_AS}${retryId}`, updatedAt: at };
  await deps.guard?.check();
  await deps.incidents.save(pointed);
  await deps.bus.publish(deps.topics.incidents, [encodeIncident(deps.codec, pointed)]);
}

const RETRIED_AS = '; retried as ';

function openIncident(model: string, triggers: IncidentTrigger[], at: number): Incident {
  return {
    id: `${model}-${at}-${randomUUID().slice(0, 8)}`,
    model,
    championVersion: null,
    challengerVersion: null,
    status: 'OPEN',
    openedAt: at,
    updatedAt: at,
    triggers,
    diagnosis: null,
    data: null,
    search: [],
    metric: null,
    championMetrics: {},
    challengerMetrics: {},
    decision: null,
    reason: null,
    variants: [],
    verification: null,
  };
}

/** The longest trigger window: the drift may have begun up to one window before the earliest start. */
function alertSpan(triggers: readonly IncidentTrigger[]): number {
  return Math.max(0, ...triggers.map((t) => (t.windowStart !== null && t.windowEnd !== null ? t.windowEnd - t.windowStart : 0)));
}

/** Where the alerts place the drift: the earliest trigger window's start; null for a manual retrain. */
export function driftStartOf(triggers: readonly IncidentTrigger[]): number | null {
  const starts = triggers.map((t) => t.windowStart).filter((s): s is number => s !== null);
  return starts.length === 0 ? null : Math.min(...starts);
}

function asDiagnosed(examples: readonly JoinedExample[]) {
  return examples.map((e) => ({ time: e.time, features: e.features, predictedClass: e.predictedClass, label: e.label }));
}

function emptySplit() {
  return { size: 0, from: null, to: null };
}

/** A trigger that cannot lead to a model: the REJECTED model event with the reason, no version stored. */
async function publishRejection(deps: RetrainDeps, incident: Incident, request: RetrainRequest, reason: string): Promise<void> {
  deps.logger.warn({ model: incident.model, reason }, 'retrain rejected');
  await assertHolds(deps, request.lock);
  const event: ModelEventInput = {
    model: incident.model,
    version: incident.championVersion ?? 'none',
    status: 'REJECTED',
    parentVersion: incident.championVersion,
    artifactUri: '',
    trigger: triggerOf(request),
    trainingSize: 0,
    time: (deps.now ?? Date.now)(),
    reason,
    incidentId: incident.id,
    fencingToken: request.lock.token,
  };
  await publish(deps, event);
}

async function publishVersionEvent(
  deps: RetrainDeps,
  request: RetrainRequest,
  incident: Incident,
  manifest: ModelManifest,
  status: ModelStatus,
  outcome: TrainOutcome,
  reason: string | null,
): Promise<void> {
  await assertHolds(deps, request.lock);
  await publish(deps, {
    model: manifest.model,
    version: manifest.version,
    status,
    parentVersion: manifest.parentVersion,
    artifactUri: deps.store.uri(manifest.model, manifest.version),
    trigger: triggerOf(request),
    challengerMetrics: outcome.challengerMetrics,
    championMetrics: outcome.championMetrics,
    trainingSize: manifest.split.train.size,
    referenceProfile: manifest.trainingProfile,
    time: (deps.now ?? Date.now)(),
    reason,
    metric: outcome.metric,
    incidentId: incident.id,
    fencingToken: request.lock.token,
    variants: outcome.eventVariants,
    backend: manifest.backend,
  });
}

/** The fencing check before every model event: Redis is still the one the lock was taken in, and the lock holds this token. */
async function assertHolds(deps: RetrainDeps, lock: JobLock): Promise<void> {
  await deps.guard?.check();
  if (!(await lock.holds())) throw new LostLockError(`lost the retrain lock (token ${lock.token}); not publishing`);
}

function triggerOf(request: RetrainRequest): ModelEventInput['trigger'] {
  const alertId = request.triggers.find((t) => t.alertId !== null)?.alertId ?? null;
  return request.manual || alertId === null ? { kind: 'MANUAL', alertId: null } : { kind: 'ALERT', alertId };
}

function publish(deps: RetrainDeps, event: ModelEventInput): Promise<void> {
  return publishModelEvent(deps.bus, deps.codec, deps.topics.models, event);
}

function encodeIncident(codec: Codec, incident: Incident) {
  const encoded = codec.encode('incident', incident);
  return { key: incident.id, value: encoded.value, headers: encoded.headers };
}
