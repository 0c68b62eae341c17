// The bootstrap: version 1 (or the next version) of a model from a labelled file instead of
// from the log, for a model driftwatch has never seen (`driftwatch train`). Same training and
// storage as a retrain (trainChallenger, with no parent, so nothing to gate against: a model
// that trained to a finite metric is PROMOTED), then the PROMOTED event that makes it the
// champion for ModelWatcher and gives the drift service its reference profile.
//
// Time order: examples with times are sorted by them (stable); when no example has a time the
// given order is the time order, and each gets a synthetic time, its index in milliseconds
// (so the manifest's split ranges read 1970-01-01T00:00:00.000Z + index: visibly not event
// times). Mixing timed and untimed examples is refused.
//
// tfjs loads only when training starts (trainChallenger is imported then), so the refusals
// cost nothing.
import type { Logger } from 'pino';
import type { EventBus } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import type { ModelEventInput } from '../codec/events.generated.js';
import type { RetrainPolicy } from '../config/monitoring-config.js';
import type { FeatureRow } from '../learning/feature-spec.js';
import { timeOrderedSplit } from '../learning/split.js';
import type { ModelManifest } from '../models/manifest.js';
import { checkModelName, type ModelStore } from '../models/model-store.js';
import { publishModelEvent } from '../models/publish-model-event.js';
import type { TopicNames } from '../topics.js';
import type { TrainExample, TrainOutcome, TrainRequest } from './train-challenger.js';

export interface BootstrapExample {
  features: FeatureRow;
  label: string;
  /** Event time (ms). Give it for every example or for none. */
  time?: number | null;
}

export interface BootstrapRequest {
  bus: EventBus;
  codec: Codec;
  topics: Pick<TopicNames, 'models'>;
  store: ModelStore;
  model: string;
  examples: readonly BootstrapExample[];
  policy: RetrainPolicy;
  logger: Logger;
  /**
   * Where the policy's minExamples comes from, for the refusal, e.g.
   * `models.churn.retrain.minExamples in monitoring.yaml`. Default: `the retrain policy's minExamples`.
   */
  minExamplesSource?: string;
  now?: () => number;
  /** Trains and stores; default trainChallenger (loaded lazily: it loads tfjs). */
  train?: (request: TrainRequest) => Promise<TrainOutcome>;
}

export interface BootstrapResult {
  manifest: ModelManifest;
  outcome: TrainOutcome;
  /** The event published: PROMOTED, or REJECTED when training diverged (outcome.reason says so). */
  event: ModelEventInput;
  /** `event time`, or `input order` when the examples had no times (synthetic times = index). */
  order: 'event time' | 'input order';
  /** Examples per label, most frequent first. */
  classes: { label: string; count: number }[];
}

/** A training set the bootstrap refuses, before anything loads or is stored. */
export class BootstrapRefusedError extends Error {
  override readonly name = 'BootstrapRefusedError';
}

/** The examples time-ordered, or the reason they cannot train a model. Pure, no tfjs. */
export function prepareBootstrapExamples(
  examples: readonly BootstrapExample[],
  policy: Pick<RetrainPolicy, 'minExamples' | 'split'>,
  minExamplesSource = "the retrain policy's minExamples",
): { examples: TrainExample[]; order: BootstrapResult['order']; classes: BootstrapResult['classes'] } {
  if (examples.length < policy.minExamples) {
    throw new BootstrapRefusedError(
      `only ${examples.length} labelled row${examples.length === 1 ? '' : 's'}; training needs at least ${policy.minExamples} ` +
        `(${minExamplesSource})`,
    );
  }
  const timed = examples.filter((e) => e.time !== undefined && e.time !== null).length;
  if (timed > 0 && timed < examples.length) {
    throw new BootstrapRefusedError(`${examples.length - timed} of ${examples.length} examples have no time: give every example a time, or none`);
  }
  const bad = examples.findIndex((e) => e.time !== undefined && e.time !== null && !Number.isFinite(e.time));
  if (bad >= 0) throw new BootstrapRefusedError(`example ${bad + 1} has time ${examples[bad]!.time}, not a finite number of milliseconds`);
  const emptyLabel = examples.findIndex((e) => typeof e.label !== 'string' || e.label === '');
  if (emptyLabel >= 0) throw new BootstrapRefusedError(`example ${emptyLabel + 1} has no label`);

  const tally = new Map<string, number>();
  for (const e of examples) tally.set(e.label, (tally.get(e.label) ?? 0) + 1);
  const classes = [...tally].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
  if (classes.length < 2) {
    throw new BootstrapRefusedError(`every row has the label "${classes[0]!.label}": a classifier needs at least two classes`);
  }
  const hasFeature = examples.some((e) => Object.values(e.features).some((v) => v !== null && v !== undefined));
  if (!hasFeature) {
    throw new BootstrapRefusedError('no features: every row has only a label (and a time), or every feature value is missing');
  }

  const order = timed === examples.length ? 'event time' : 'input order';
  const withTimes: TrainExample[] = examples.map((e, i) => ({
    id: `row-${i + 1}`,
    time: order === 'event time' ? (e.time as number) : i,
    features: e.features,
    label: e.label,
  }));
  // Array.prototype.sort is stable: equal times keep the input order.
  if (order === 'event time') withTimes.sort((a, b) => a.time - b.time);
  try {
    timeOrderedSplit(withTimes, policy.split);
  } catch (error) {
    throw new BootstrapRefusedError(`${(error as Error).message}; give more rows or change the retrain policy's split`);
  }
  return { examples: withTimes, order, classes };
}

/**
 * Trains the model's next version from the examples with the model's retrain policy, stores
 * it, and publishes its PROMOTED event (trigger MANUAL, no fencing token, no incident: the
 * operator's action, outside any retrain). BootstrapRefusedError for a set that cannot train.
 */
export async function bootstrapModel(request: BootstrapRequest): Promise<BootstrapResult> {
  const { model, policy, store } = request;
  const now = request.now ?? Date.now;
  try {
    checkModelName(model);
  } catch (error) {
    throw new BootstrapRefusedError((error as Error).message);
  }
  const prepared = prepareBootstrapExamples(request.examples, policy, request.minExamplesSource);
  const log = request.logger.child({ model });
  if (prepared.order === 'input order') {
    log.warn({ examples: prepared.examples.length }, 'the examples have no times: the input order is the time order (synthetic times 0, 1, 2, … ms)');
  }

  const train = request.train ?? (await import('./train-challenger.js')).trainChallenger;
  const version = await store.nextVersion(model);
  log.info({ version, examples: prepared.examples.length, classes: prepared.classes, order: prepared.order }, 'bootstrap training started');
  const outcome = await train({ model, version, parent: null, examples: prepared.examples, policy, store, logger: log });
  const { manifest } = outcome;

  const event: ModelEventInput = {
    model: manifest.model,
    version: manifest.version,
    status: outcome.decision,
    parentVersion: null,
    artifactUri: store.uri(manifest.model, manifest.version),
    trigger: { kind: 'MANUAL', alertId: null },
    challengerMetrics: outcome.challengerMetrics,
    championMetrics: outcome.championMetrics,
    trainingSize: manifest.split.train.size,
    referenceProfile: manifest.trainingProfile,
    time: now(),
    reason: outcome.reason,
    metric: outcome.metric,
    incidentId: null,
    fencingToken: null,
    variants: outcome.eventVariants,
    backend: manifest.backend,
  };
  try {
    await publishModelEvent(request.bus, request.codec, request.topics.models, event);
  } catch (error) {
    throw new BootstrapPublishError(manifest, event, error);
  }
  log.info({ version: manifest.version, decision: outcome.decision, reason: outcome.reason }, 'bootstrap published');
  return { manifest, outcome, event, order: prepared.order, classes: prepared.classes };
}

/** The version is stored but its event did not go out: say which, and how to finish by hand. */
export class BootstrapPublishError extends Error {
  override readonly name = 'BootstrapPublishError';
  constructor(
    readonly manifest: ModelManifest,
    readonly event: ModelEventInput,
    override readonly cause: unknown,
  ) {
    super(
      `version ${manifest.version} of ${manifest.model} is stored (${event.artifactUri}) but its ${event.status} event was not published: ` +
        `${cause instanceof Error ? cause.message : String(cause)}` +
        (event.status === 'PROMOTED' ? `; make it the champion with: driftwatch models rollback ${manifest.model} ${manifest.version}` : ''),
    );
  }
}
