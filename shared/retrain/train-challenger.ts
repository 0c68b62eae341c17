// Trains a challenger and gates it against the champion: time-ordered split, grid search
// fine-tuning from the champion's weights, both models scored on the same test split,
// quantized variants checked for parity, the version stored. The only retrain module that
// loads tfjs; the job imports it lazily. The bootstrap (`driftwatch train`) uses it too.
import type { Logger } from 'pino';
import type { IncidentVariant, ModelVariant as EventVariant, SplitSummary } from '../codec/events.generated.js';
import type { RetrainPolicy } from '../config/monitoring-config.js';
import { modelFromArtifacts, modelToArtifacts, WEIGHTS_FILE, type ModelArtifacts } from '../learning/artifacts.js';
import type { LabelledExample } from '../learning/example.js';
import { inferFeatureSpec, type FeatureSpec } from '../learning/feature-spec.js';
import { gridSearch, type ParentModel } from '../learning/grid-search.js';
import { disposeNetwork } from '../learning/network.js';
import { quantizeArtifacts, type Precision } from '../learning/quantize.js';
import { predictProbabilities, scoreModel, scoreProbabilities, type Scored } from '../learning/scoring.js';
import { timeOrderedSplit, type SplitPart } from '../learning/split.js';
import { loadTf, type LayersModel } from '../learning/tf.js';
import { encodeRows } from '../learning/feature-spec.js';
import type { ModelManifest, ModelVariant } from '../models/manifest.js';
import type { ModelStore } from '../models/model-store.js';
import { buildTrainingProfile } from '../models/training-profile.js';
import type { Champion } from './champion.js';

const MODEL_FILE = 'model.json';

export interface TrainExample extends LabelledExample {
  /** The serving model's logged prediction: the champion's score when its artifacts are not stored. */
  predictedClass?: string | null;
}

export interface TrainRequest {
  model: string;
  version: string;
  parent: Champion | null;
  /** Oldest first. */
  examples: readonly TrainExample[];
  policy: RetrainPolicy;
  store: ModelStore;
  logger: Logger;
}

export interface TrainOutcome {
  manifest: ModelManifest;
  search: ModelManifest['search'];
  metric: string;
  championMetrics: Record<string, number>;
  challengerMetrics: Record<string, number>;
  decision: 'PROMOTED' | 'REJECTED';
  reason: string | null;
  variants: IncidentVariant[];
  eventVariants: EventVariant[];
  split: { train: SplitSummary; validation: SplitSummary; test: SplitSummary };
}

export async function trainChallenger(request: TrainRequest): Promise<TrainOutcome> {
  const { policy, store, logger } = request;
  const { backend } = await loadTf({ logger });
  const split = timeOrderedSplit(request.examples, policy.split);
  const parent = await loadParent(request);
  const classes = classesOf(request.examples, parent);
  const spec = parent?.spec ?? inferFeatureSpec(split.train.map((e) => e.features));

  const search = await gridSearch({
    spec,
    classes,
    train: split.train,
    validation: split.validation,
    grid: policy.grid,
    ...(parent ? { parent } : {}),
    metric: policy.metric,
    batchSize: policy.batchSize,
    patience: policy.patience,
    seed: policy.seed,
  });
  const challenger = search.best.model;
  try {
    const onTest = await scoreModel(challenger, spec, classes, split.test, policy.metric);
    const championOnTest = await scoreChampion(parent, split.test, classes, policy.metric);
    const { decision, reason } = gate(onTest, championOnTest, policy);
    logger.info(
      { challenger: onTest.value, champion: championOnTest?.value ?? null, decision, fromParent: search.start.fromParent, why: search.start.reason },
      'challenger scored on the test split',
    );

    const artifacts = await modelToArtifacts(challenger);
    const files = new Map<string, Uint8Array>([
      [MODEL_FILE, artifacts.modelJson],
      [WEIGHTS_FILE, artifacts.weights],
    ]);
    const variants: ModelVariant[] = [{ precision: 'float32', modelJson: MODEL_FILE, weights: WEIGHTS_FILE, bytes: artifacts.weights.length }];
    const incidentVariants: IncidentVariant[] = [];
    for (const precision of policy.quantize) {
      const checked = await checkVariant(artifacts, precision, spec, classes, split.test, onTest, policy);
      incidentVariants.push(checked.incident);
      if (checked.variant === null) continue;
      variants.push(checked.variant);
      files.set(checked.variant.modelJson, checked.artifacts.modelJson);
      files.set(checked.variant.weights, checked.artifacts.weights);
    }

    const all = request.examples;
    const served = await scoreModel(challenger, spec, classes, all, policy.metric);
    const onTrain = await scoreModel(challenger, spec, classes, split.train, policy.metric);
    const manifest = await store.put(
      {
        model: request.model,
        version: request.version,
        parentVersion: request.parent?.version ?? null,
        task: 'classification',
        classes: [...classes],
        featureSpec: spec,
        // The newest regime dominates the chosen examples, so it is the reference the monitors
        // should compare the new version's traffic with.
        trainingProfile: buildTrainingProfile(all.map((e) => e.features), spec, { predictedClasses: served.predicted }),
        split: { train: range(split.parts.train), validation: range(split.parts.validation), test: range(split.parts.test) },
        metrics: { train: onTrain.metrics, validation: { [policy.metric]: search.best.row.validationMetric, loss: search.best.row.validationLoss }, test: onTest.metrics },
        hyperparameters: {
          learningRate: search.best.row.learningRate,
          epochs: search.best.row.epochs,
          stoppedEpoch: search.best.row.stoppedEpoch,
          l2: search.best.row.l2,
          batchSize: policy.batchSize,
          patience: policy.patience,
          seed: policy.seed,
          hiddenUnits: search.start.hiddenUnits.join('-'),
          start: search.start.fromParent ? `fine-tuned from ${request.parent?.version}` : search.start.reason ?? 'from scratch',
        },
        search: search.table,
        backend,
        createdAt: Date.now(),
        variants,
      },
      files,
    );
    const uri = store.uri(manifest.model, manifest.version);
    return {
      manifest,
      search: search.table,
      metric: policy.metric,
      championMetrics: championOnTest?.metrics ?? {},
      challengerMetrics: onTest.metrics,
      decision,
      reason,
      variants: incidentVariants,
      eventVariants: variants.map((v) => ({
        precision: v.precision.toUpperCase() as EventVariant['precision'],
        artifactUri: `${uri}#${v.modelJson}`,
        bytes: v.bytes,
        sha256: manifest.files[v.weights]!.sha256,
        classAgreement: v.parity?.classAgreement ?? null,
        metricDelta: v.parity?.metricDelta ?? null,
      })),
      split: { train: summary(split.parts.train), validation: summary(split.parts.validation), test: summary(split.parts.test) },
    };
  } finally {
    disposeNetwork(challenger);
    if (parent) disposeNetwork(parent.model);
  }
}

/** The champion's network when its artifacts are in the store (verified on read). */
async function loadParent(request: TrainRequest): Promise<(ParentModel & { version: string }) | null> {
  const manifest = request.parent?.manifest;
  if (!manifest) return null;
  const [modelJson, weights] = await Promise.all([
    request.store.readFile(manifest.model, manifest.version, MODEL_FILE),
    request.store.readFile(manifest.model, manifest.version, WEIGHTS_FILE),
  ]);
  return { model: await modelFromArtifacts(modelJson, weights), classes: manifest.classes, spec: manifest.featureSpec, version: manifest.version };
}

/** The parent's classes first (so its output units keep their meaning), then any new ones. */
function classesOf(examples: readonly LabelledExample[], parent: ParentModel | null): string[] {
  const classes = [...(parent?.classes ?? [])];
  for (const label of [...new Set(examples.map((e) => e.label))].sort()) if (!classes.includes(label)) classes.push(label);
  return classes;
}

/**
 * The champion on the test split: its own network when stored, else the predictions it
 * logged (a model trained outside driftwatch), else nothing to compare with.
 */
async function scoreChampion(
  parent: (ParentModel & { version: string }) | null,
  test: readonly TrainExample[],
  classes: readonly string[],
  metric: RetrainPolicy['metric'],
): Promise<Scored | null> {
  if (parent) return scoreModel(parent.model, parent.spec, parent.classes, test, metric);
  const logged = test.filter((e) => e.predictedClass !== undefined && e.predictedClass !== null);
  if (logged.length === 0) return null;
  const all = [...new Set([...classes, ...logged.map((e) => e.predictedClass!)])];
  const oneHot = new Float32Array(logged.length * all.length);
  logged.forEach((e, i) => (oneHot[i * all.length + all.indexOf(e.predictedClass!)] = 1));
  return scoreProbabilities(oneHot, all, logged.map((e) => e.label), metric);
}

/** Promote only a challenger that beats the champion by the margin on the same test split. */
export function gate(challenger: Scored, champion: Scored | null, policy: Pick<RetrainPolicy, 'metric' | 'margin'>): { decision: 'PROMOTED' | 'REJECTED'; reason: string | null } {
  if (!Number.isFinite(challenger.value)) {
    return { decision: 'REJECTED', reason: `the challenger's ${policy.metric} on the test split is not a number (training diverged)` };
  }
  if (champion === null || !Number.isFinite(champion.value)) return { decision: 'PROMOTED', reason: null };
  if (challenger.value >= champion.value + policy.margin) return { decision: 'PROMOTED', reason: null };
  return {
    decision: 'REJECTED',
    reason:
      `the challenger's ${policy.metric} ${challenger.value.toFixed(4)} does not beat the champion's ` +
      `${champion.value.toFixed(4)} by the margin ${policy.margin} on the same test split`,
  };
}

async function checkVariant(
  artifacts: ModelArtifacts,
  precision: Precision,
  spec: FeatureSpec,
  classes: readonly string[],
  test: readonly LabelledExample[],
  full: Scored,
  policy: RetrainPolicy,
): Promise<{ variant: ModelVariant | null; incident: IncidentVariant; artifacts: ModelArtifacts }> {
  const { tf } = await loadTf();
  const quantized = quantizeArtifacts(artifacts, precision);
  const model: LayersModel = await modelFromArtifacts(quantized.modelJson, quantized.weights);
  try {
    const scored = await scoreModel(model, spec, classes, test, policy.metric);
    const agreement = test.length === 0 ? 1 : scored.predicted.filter((c, i) => c === full.predicted[i]).length / test.length;
    const metricDelta = scored.value - full.value;
    const encoded = encodeRows(spec, test.map((e) => e.features));
    const maxProbabilityDiff = maxDiff(
      predictProbabilities(tf, model, encoded, spec.width),
      await fullProbabilities(artifacts, encoded, spec.width),
    );
    const minAgreement = policy.parity[precision].minClassAgreement;
    const problems: string[] = [];
    if (agreement < minAgreement) problems.push(`class agreement ${agreement.toFixed(4)} < ${minAgreement}`);
    if (Math.abs(metricDelta) > policy.parity.maxMetricDelta) problems.push(`${policy.metric} differs by ${metricDelta.toFixed(4)} (limit ${policy.parity.maxMetricDelta})`);
    const kept = problems.length === 0;
    const dir = `variants/${precision}`;
    return {
      variant: kept
        ? { precision, modelJson: `${dir}/${MODEL_FILE}`, weights: `${dir}/${WEIGHTS_FILE}`, bytes: quantized.weights.length, parity: { classAgreement: agreement, maxProbabilityDiff, metricDelta } }
        : null,
      incident: { precision, bytes: quantized.weights.length, classAgreement: agreement, metricDelta, kept, reason: kept ? null : problems.join('; ') },
      artifacts: quantized,
    };
  } finally {
    disposeNetwork(model);
  }
}

async function fullProbabilities(artifacts: ModelArtifacts, encoded: Float32Array, width: number): Promise<Float32Array> {
  const { tf } = await loadTf();
  const model = await modelFromArtifacts(artifacts.modelJson, artifacts.weights);
  try {
    return predictProbabilities(tf, model, encoded, width);
  } finally {
    disposeNetwork(model);
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

function range(part: SplitPart): { size: number; from: number; to: number } {
  return { size: part.size, from: part.from, to: part.to };
}

function summary(part: SplitPart): SplitSummary {
  return { size: part.size, from: part.size > 0 ? part.from : null, to: part.size > 0 ? part.to : null };
}
