// A seeded churn-model stream with a known change point: what the demo, the end-to-end
// tests and the benchmarks replay. The stream is what an upstream app would publish: each
// prediction at its event time, its label some seconds later (so labels arrive out of
// order relative to predictions), merged into one delivery sequence ordered by event time.
//
// From `shiftAt` on, `spend` comes from a much higher distribution and the model's error
// rate rises, so a data-drift alert on `spend`, prediction drift and a concept-drift alert
// are all expected after the change point and none before it. From `recoverAt` on the
// stream is normal again, so every alert should resolve.
import type { LabelRecord, PredictionRecord } from '../sdk/records.js';
import { createPrng, type Prng } from './prng.js';
import { PendingLabels } from './pending-labels.js';

export interface ScenarioOptions {
  seed?: number;
  /** Number of predictions. */
  count?: number;
  model?: string;
  modelVersion?: string;
  /** Event time of prediction 0 (ms since the epoch). */
  startTime?: number;
  /** Predictions per second of event time. */
  eventsPerSecond?: number;
  /** Index of the first shifted prediction; null for a stream that never shifts. Default count / 2. */
  shiftAt?: number | null;
  /** Index of the first prediction after the shift ends; null to stay shifted. */
  recoverAt?: number | null;
  /** Label delay after its prediction, uniform in [min, max] ms of event time. */
  labelDelayMs?: readonly [number, number];
  /** Share of predictions whose label never comes. */
  unlabelledShare?: number;
  /** Share of predictions with a wrong class before the shift (and after recovery). */
  baseErrorRate?: number;
  /** Share of wrong predictions during the shift. */
  shiftedErrorRate?: number;
  /** Probability that `age` (and, a fifth as often, `region`) is missing. */
  missingRate?: number;
}

/** Every option with its value, as recorded next to fixtures generated from a scenario. */
export type ScenarioParameters = Required<Omit<ScenarioOptions, 'shiftAt' | 'recoverAt' | 'labelDelayMs'>> & {
  shiftAt: number | null;
  recoverAt: number | null;
  labelDelayMs: [number, number];
};

export type Delivery = { kind: 'prediction'; record: PredictionRecord } | { kind: 'label'; record: LabelRecord };

export interface Scenario {
  parameters: ScenarioParameters;
  predictions: PredictionRecord[];
  /** Labels in the order they are delivered. */
  labels: LabelRecord[];
  /** Predictions and labels merged by event time, as the upstream publishes them. */
  deliveries: Delivery[];
  /** Event time of the first shifted prediction, or null. */
  changePointTime: number | null;
  /** Event time of the first recovered prediction, or null. */
  recoveryTime: number | null;
}

/** The feature whose distribution shifts at the change point. */
export const SHIFTED_FEATURE = 'spend';

export function resolveScenarioOptions(options: ScenarioOptions = {}): ScenarioParameters {
  const count = options.count ?? 50_000;
  const parameters: ScenarioParameters = {
    seed: options.seed ?? 1,
    count,
    model: options.model ?? 'churn',
    modelVersion: options.modelVersion ?? '1',
    startTime: options.startTime ?? Date.UTC(2026, 0, 1),
    eventsPerSecond: options.eventsPerSecond ?? 50,
    shiftAt: options.shiftAt === undefined ? Math.floor(count / 2) : options.shiftAt,
    recoverAt: options.recoverAt ?? null,
    labelDelayMs: [options.labelDelayMs?.[0] ?? 5_000, options.labelDelayMs?.[1] ?? 60_000],
    unlabelledShare: options.unlabelledShare ?? 0,
    baseErrorRate: options.baseErrorRate ?? 0.1,
    shiftedErrorRate: options.shiftedErrorRate ?? 0.4,
    missingRate: options.missingRate ?? 0.02,
  };
  validate(parameters);
  return parameters;
}

function validate(p: ScenarioParameters): void {
  const fail = (message: string): never => {
    throw new RangeError(`scenario: ${message}`);
  };
  if (!Number.isInteger(p.count) || p.count < 0) fail(`count must be a non-negative integer, got ${p.count}`);
  if (!(p.eventsPerSecond > 0)) fail(`eventsPerSecond must be positive, got ${p.eventsPerSecond}`);
  if (p.shiftAt !== null && (!Number.isInteger(p.shiftAt) || p.shiftAt < 0)) fail(`shiftAt must be a non-negative integer`);
  if (p.recoverAt !== null && (p.shiftAt === null || !Number.isInteger(p.recoverAt) || p.recoverAt <= p.shiftAt)) {
    fail('recoverAt needs a shiftAt and must come after it');
  }
  const [min, max] = p.labelDelayMs;
  if (!(min >= 0 && max >= min)) fail(`labelDelayMs must be 0 <= min <= max, got [${min}, ${max}]`);
  for (const key of ['unlabelledShare', 'baseErrorRate', 'shiftedErrorRate', 'missingRate'] as const) {
    if (!(p[key] >= 0 && p[key] <= 1)) fail(`${key} must be in [0, 1], got ${p[key]}`);
  }
}

/** Event time of prediction `index`. */
export function predictionTime(p: ScenarioParameters, index: number): number {
  return p.startTime + Math.floor((index * 1000) / p.eventsPerSecond);
}

export function isShifted(p: ScenarioParameters, index: number): boolean {
  return p.shiftAt !== null && index >= p.shiftAt && (p.recoverAt === null || index < p.recoverAt);
}

const round = (value: number, decimals: number): number => {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
};

interface Drawn {
  prediction: PredictionRecord;
  label: LabelRecord | null;
}

/**
 * Draws prediction `index`. Every draw happens whatever the options, so changing e.g.
 * `unlabelledShare` leaves the features and classes of the same seed unchanged.
 */
function draw(p: ScenarioParameters, random: Prng, index: number): Drawn {
  const shifted = isShifted(p, index);
  const tenure = round(Math.min(72, -Math.log(1 - random.next()) * 20), 1);
  const spend = round(Math.max(0, shifted ? random.normal(130, 30) : random.normal(70, 20)), 2);
  const age = Math.round(Math.min(90, Math.max(18, random.normal(42, 12))));
  const supportCalls = Math.min(10, Math.floor(-Math.log(1 - random.next()) * 1.2));
  const plan = random.pick({ basic: 0.5, pro: 0.35, enterprise: 0.15 });
  const region = random.pick({ eu: 0.45, us: 0.4, apac: 0.15 });
  const mobile = random.chance(0.6);
  const ageMissing = random.chance(p.missingRate);
  const regionMissing = random.chance(p.missingRate / 5);

  // The "model": a fixed logistic score, so predictions follow the features (and drift with spend).
  const score =
    -1.2 + 0.025 * (spend - 70) - 0.04 * tenure + 0.35 * supportCalls + (plan === 'basic' ? 0.5 : 0) + (mobile ? 0.2 : 0);
  const pYes = round(1 / (1 + Math.exp(-score)), 6);
  const predictedClass = pYes >= 0.5 ? 'yes' : 'no';

  const wrong = random.chance(shifted ? p.shiftedErrorRate : p.baseErrorRate);
  const trueClass = wrong ? (predictedClass === 'yes' ? 'no' : 'yes') : predictedClass;
  const delay = Math.round(random.uniform(p.labelDelayMs[0], p.labelDelayMs[1]));
  const unlabelled = random.chance(p.unlabelledShare);

  const id = `${p.model}-${p.seed}-${index}`;
  const time = predictionTime(p, index);
  const prediction: PredictionRecord = {
    id,
    model: p.model,
    modelVersion: p.modelVersion,
    time,
    features: {
      tenure,
      spend,
      age: ageMissing ? null : age,
      support_calls: supportCalls,
      plan,
      region: regionMissing ? null : region,
      mobile,
    },
    predictedClass,
    probabilities: { yes: pYes, no: round(1 - pYes, 6) },
  };
  const label: LabelRecord | null = unlabelled ? null : { predictionId: id, model: p.model, time: time + delay, trueClass };
  return { prediction, label };
}

/**
 * The delivery sequence, lazily: memory stays bounded by the labels in flight, so a
 * benchmark can stream millions of events. Ties in event time put the prediction first.
 */
export function* scenarioDeliveries(options: ScenarioOptions = {}): Generator<Delivery> {
  const p = resolveScenarioOptions(options);
  const random = createPrng(p.seed);
  const pending = new PendingLabels();
  for (let index = 0; index < p.count; index++) {
    const { prediction, label } = draw(p, random, index);
    const time = prediction.time as number;
    while (pending.peekTime() < time) yield { kind: 'label', record: pending.pop() };
    yield { kind: 'prediction', record: prediction };
    if (label) pending.push(label.time as number, index, label);
  }
  while (pending.size > 0) yield { kind: 'label', record: pending.pop() };
}

/** The whole scenario in memory (50,000 predictions take a few tens of MB). */
export function generateScenario(options: ScenarioOptions = {}): Scenario {
  const parameters = resolveScenarioOptions(options);
  const predictions: PredictionRecord[] = [];
  const labels: LabelRecord[] = [];
  const deliveries: Delivery[] = [];
  for (const delivery of scenarioDeliveries(parameters)) {
    deliveries.push(delivery);
    if (delivery.kind === 'prediction') predictions.push(delivery.record);
    else labels.push(delivery.record);
  }
  const timeOf = (index: number | null): number | null =>
    index === null || index >= parameters.count ? null : predictionTime(parameters, index);
  return {
    parameters,
    predictions,
    labels,
    deliveries,
    changePointTime: timeOf(parameters.shiftAt),
    recoveryTime: timeOf(parameters.recoverAt),
  };
}
