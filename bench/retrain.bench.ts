// The retraining loop (docs/design/retraining.md) on real Kafka and Redis:
//   1. alert → PROMOTED wall time: a v1 champion trained on concept A is published, then its
//      predictions and labels of traffic that switches to concept B (through the SDK client),
//      to a fresh topic prefix; the retrainer service starts (debounce 0, default grid) and
//      one FIRING PERFORMANCE CRITICAL alert whose window starts at the switch is published.
//      Timed until the PROMOTED event arrives on the models topic, broken down from the
//      service's own log lines and the stored search table. The data is sized so that the
//      retrain's training set (chooseTrainingSet: everything since the switch plus at most
//      preDriftShare of older examples) is exactly 10,000 and 50,000 examples;
//   2. training examples/s per tfjs backend, each in its own child process (the backend is
//      chosen once per process): the same gridSearch on the same data, ratio wasm / cpu;
//   3. ModelWatcher.predict / predictBatch throughput against the Classifier it wraps
//      (the watcher's overhead), on the bench's backend;
//   4. float16 / uint8 variants of the promoted version: weights size, class agreement, max
//      probability difference and metric delta on the retrain's own test split.
//
// BENCH_RETRAIN_SIZES (default "10000,50000") sets the training-set sizes of step 1,
// BENCH_RETRAIN_BACKEND_EXAMPLES (default 3000) the data of step 2. The bench process uses
// DW_TF_BACKEND when set, else wasm (the backend that loads by default where tfjs-node
// does not).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { pino } from 'pino';
import { KafkaBus } from '../shared/bus/kafka-bus.js';
import { Codec, type AlertInput, type ModelEvent } from '../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig, type RetrainPolicy } from '../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../shared/config/runtime-config.js';
import { modelFromArtifacts, WEIGHTS_FILE } from '../shared/learning/artifacts.js';
import { loadClassifier, type Classifier } from '../shared/learning/classifier.js';
import { encodeRows, type FeatureRow } from '../shared/learning/feature-spec.js';
import { disposeNetwork } from '../shared/learning/network.js';
import { quantizeArtifacts, type Precision } from '../shared/learning/quantize.js';
import { predictProbabilities, scoreProbabilities } from '../shared/learning/scoring.js';
import { timeOrderedSplit } from '../shared/learning/split.js';
import { loadTf, type TfBackend } from '../shared/learning/tf.js';
import { silentLogger } from '../shared/log/logger.js';
import { LocalModelStore } from '../shared/models/local-model-store.js';
import type { ModelManifest } from '../shared/models/manifest.js';
import { publishModelEvent } from '../shared/models/publish-model-event.js';
import { startRetrainerService } from '../shared/pipeline/retrainer-service.js';
import { trainChallenger } from '../shared/retrain/train-challenger.js';
import { readTrainingExamples } from '../shared/retrain/log-examples.js';
import { readChampion } from '../shared/retrain/read-champion.js';
import { chooseTrainingSet } from '../shared/retrain/training-set.js';
import { DriftwatchClient } from '../shared/sdk/index.js';
import { ModelWatcher } from '../shared/sdk/models/index.js';
import type { LabelRecord, PredictionRecord } from '../shared/sdk/records.js';
import { driftingStream } from '../shared/sim/concepts/drift.js';
import { Simulation } from '../shared/sim/simulation.js';
import { topicNames, topicSpecs, type TopicNames } from '../shared/topics.js';
import { formatRate, opsPerSecond, printTable, type BenchModule } from './lib.js';
import { CONCEPT_A, CONCEPT_B, conceptExamples } from './support/retrain-data.js';

const SIZES = (process.env.BENCH_RETRAIN_SIZES ?? '10000,50000').split(',').map(Number);
const BACKEND_EXAMPLES = Number(process.env.BENCH_RETRAIN_BACKEND_EXAMPLES ?? 3_000);
const BENCH_BACKEND = (process.env.DW_TF_BACKEND || 'wasm') as TfBackend;
const PARTITIONS = 6;
const PUBLISH_CHUNK = 2_000;
const GOAL_10K_SECONDS = 30;
/** The traffic's event times span this much of the retrain's 1 h window. */
const SPAN_MS = 45 * 60_000;
const fastConsumer = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 };
const root = fileURLToPath(new URL('../', import.meta.url));

interface LogLine {
  time: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger whose lines (with their `time`, ms since the epoch) the bench keeps. */
function capturingLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** Post-drift count D such that D + the allowed pre-drift share of it is exactly `size`. */
function postDriftCountFor(size: number, policy: RetrainPolicy): { during: number; preAllowed: number } {
  const allowed = (d: number) => Math.floor((d * policy.preDriftShare) / (1 - policy.preDriftShare));
  for (let d = Math.floor(size * (1 - policy.preDriftShare)) - 10; d <= size; d++) if (d + allowed(d) === size) return { during: d, preAllowed: allowed(d) };
  const d = Math.round(size * (1 - policy.preDriftShare));
  return { during: d, preAllowed: allowed(d) };
}

async function publishRecords(client: DriftwatchClient, predictions: PredictionRecord[], labels: LabelRecord[]): Promise<void> {
  for (let i = 0; i < predictions.length; i += PUBLISH_CHUNK) await client.logPredictions(predictions.slice(i, i + PUBLISH_CHUNK));
  for (let i = 0; i < labels.length; i += PUBLISH_CHUNK) await client.logLabels(labels.slice(i, i + PUBLISH_CHUNK));
}

async function until<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function groupStable(admin: Admin, groupId: string): Promise<boolean> {
  const { groups } = await admin.describeGroups([groupId]);
  return groups[0]?.state === 'Stable' && (groups[0]?.members.length ?? 0) > 0;
}

interface RetrainRun {
  size: number;
  published: { predictions: number; labels: number; preDrift: number; postDrift: number; seconds: number };
  chosen: { examples: number; preDrift: number; postDrift: number };
  manifest: ModelManifest;
  decision: ModelEvent;
  totalMs: number;
  segments: { step: string; ms: number }[];
  grid: { seconds: number; exampleEpochs: number };
  incidentData: { predictions: number; labels: number; joined: number } | null;
  /** The job's read steps timed again directly, after the retrain, with the same functions. */
  direct: { championMs: number; readMs: number; messages: number; joined: number };
  // Kept for steps 3 and 4 (the largest run's).
  store: LocalModelStore;
  model: string;
  topics: TopicNames;
  test: { features: FeatureRow; label: string }[];
  cleanup: () => Promise<void>;
}

async function retrainRun(size: number, bus: KafkaBus, admin: Admin, codec: Codec, brokers: string, redisUrl: string): Promise<RetrainRun> {
  const runId = randomUUID().slice(0, 8);
  const prefix = `bench-retrain-${runId}.`;
  const model = `bench-retrain-${runId}`;
  const topics = topicNames(prefix);
  await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
  const storeDir = mkdtempSync(join(tmpdir(), 'dw-bench-retrain-'));
  const store = new LocalModelStore(storeDir);
  const monitoring = parseMonitoringConfig({ defaults: { retrain: { debounce: 0 } } });
  const policy = resolveModelConfig(monitoring, model).retrain;
  const cleanup = async () => {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    rmSync(storeDir, { recursive: true, force: true });
  };

  // The champion: version 1, trained on concept A (a one-point grid: it is setup, not measured).
  const now = Date.now();
  const bootstrap = await trainChallenger({
    model,
    version: '1',
    parent: null,
    examples: conceptExamples(CONCEPT_A, 3_000, 5, now - 2 * 3_600_000),
    policy: { ...policy, grid: { learningRate: [0.01], epochs: [10], l2: [0] }, quantize: [] },
    store,
    logger: silentLogger(),
  });
  await publishModelEvent(bus, codec, topics.models, {
    model,
    version: '1',
    status: 'PROMOTED',
    parentVersion: null,
    artifactUri: store.uri(model, '1'),
    trigger: { kind: 'MANUAL', alertId: null },
    trainingSize: bootstrap.manifest.split.train.size,
    referenceProfile: bootstrap.manifest.trainingProfile,
    challengerMetrics: bootstrap.challengerMetrics,
    metric: policy.metric,
    time: Date.now(),
  });

  // The traffic the champion serves: concept A, then concept B from the switch on; every
  // prediction labelled 0.1–2 s later. Twice the pre-drift examples the policy lets in, so its
  // bound is what cuts the training set to `size`.
  const { during, preAllowed } = postDriftCountFor(size, policy);
  const preDrift = 2 * preAllowed;
  const total = preDrift + during;
  const champion = await loadClassifier(store, model, '1');
  const simulation = new Simulation({
    stream: driftingStream({ before: CONCEPT_A, after: CONCEPT_B, at: preDrift, seed: 9 }),
    scorer: { version: () => '1', predictBatch: (rows) => champion.predictBatch(rows as FeatureRow[]) },
    model,
    startTime: now - SPAN_MS - 5 * 60_000,
    rate: total / (SPAN_MS / 1000),
    labelDelay: { minMs: 100, maxMs: 2_000 },
    count: total,
    seed: 9,
  });
  const { predictions, labels } = simulation.advanceTo(Infinity);
  champion.dispose();
  const switchTime = simulation.timeOf(preDrift);
  const client = new DriftwatchClient({ bus, topics, codec });
  const publishStart = performance.now();
  await publishRecords(client, predictions, labels);
  const publishSeconds = (performance.now() - publishStart) / 1000;

  // What the retrain will learn from, by the job's own rule (every prediction is labelled).
  const labelOf = new Map(labels.map((l) => [l.predictionId, l.trueClass]));
  const examples = predictions
    .map((p) => ({ id: p.id, time: Number(p.time), features: p.features as FeatureRow, label: labelOf.get(p.id)! }))
    .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const chosen = chooseTrainingSet(examples, switchTime, { preDriftShare: policy.preDriftShare, minExamples: policy.minExamples, maxExamples: 100_000 });
  if (!chosen.ok) throw new Error(chosen.reason);
  const test = timeOrderedSplit(chosen.examples, policy.split).test;

  // The retrainer, in this process (so its backend is the bench's), with its log captured.
  const captured = capturingLogger();
  const groupId = `${prefix}retrainer`;
  const handle = await startRetrainerService({
    config: {
      ...loadRuntimeConfig({ KAFKA_BROKERS: brokers, REDIS_URL: redisUrl, DW_TOPIC_PREFIX: prefix, DW_TOPIC_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'info' }),
      mode: 'distributed',
    },
    monitoring,
    models: store,
    groupId,
    tickMs: 100,
    http: false,
    logger: captured.logger,
    kafkaConsumer: fastConsumer,
  });
  const events: { at: number; event: ModelEvent }[] = [];
  const watch = await bus.subscribe({
    groupId: `bench-models-${runId}`,
    topics: [topics.models],
    handler: async (batch) => {
      const at = Date.now();
      for (const m of batch.messages) events.push({ at, event: codec.decode('model', m.value, m.headers) });
    },
  });
  try {
    // Time from the alert, not from the consumer group's first join.
    await until('the retrainer joined its alerts group', () => groupStable(admin, groupId), (ok) => ok, 60_000);
    await until('the bench joined the models topic', () => events.length, (n) => n >= 1, 60_000);

    const alertAt = Date.now();
    const alert: AlertInput = {
      id: `bench-alert-${runId}`,
      key: `${model}|1|PERFORMANCE|accuracy|`,
      model,
      modelVersion: '1',
      kind: 'PERFORMANCE',
      status: 'FIRING',
      severity: 'CRITICAL',
      metric: 'accuracy',
      feature: null,
      value: 0.6,
      threshold: 0.8,
      window: { start: switchTime, end: alertAt, count: chosen.postDrift },
      detector: null,
      message: 'accuracy below 0.8',
      time: alertAt,
      details: {},
    };
    await bus.publish(topics.alerts, [{ key: alert.key, ...codec.encode('alert', alert) }]);
    const decided = await until(
      'the retrain decision',
      () => events.find((e) => e.event.version !== '1' && (e.event.status === 'PROMOTED' || e.event.status === 'REJECTED')),
      (e) => e !== undefined,
      5 * 60_000,
    );
    const decision = decided!;
    const logAt = (msg: string) => captured.lines.find((l) => l.msg === msg)?.time ?? Number.NaN;
    const recorded = logAt('retrain trigger recorded');
    const starting = logAt('retrain starting');
    const dataRead = logAt('training data read from the log');
    const scored = logAt('challenger scored on the test split');
    const manifest = await store.manifest(model, decision.event.version);
    // One training run per (learning rate, L2); its longest checkpoint holds the run's epochs and time.
    const runs = new Map<string, { epochs: number; seconds: number }>();
    for (const row of manifest.search) {
      const key = `${row.learningRate}|${row.l2}`;
      const run = runs.get(key) ?? { epochs: 0, seconds: 0 };
      runs.set(key, { epochs: Math.max(run.epochs, row.stoppedEpoch), seconds: Math.max(run.seconds, row.seconds) });
    }
    const gridSeconds = [...runs.values()].reduce((s, r) => s + r.seconds, 0);
    const exampleEpochs = manifest.split.train.size * [...runs.values()].reduce((s, r) => s + r.epochs, 0);
    const incident = (await handle.incidents.list(model, 1))[0];
    const championStart = performance.now();
    await readChampion({ reader: bus, codec, topic: topics.models, store, model });
    const championMs = performance.now() - championStart;
    const readStart = performance.now();
    const read = await readTrainingExamples({
      reader: bus,
      codec,
      topics,
      model,
      fromTime: alertAt - policy.windowMs,
      labelHorizonMs: resolveModelConfig(monitoring, model).labelHorizonMs,
    });
    const readMs = performance.now() - readStart;
    return {
      size,
      published: { predictions: predictions.length, labels: labels.length, preDrift, postDrift: during, seconds: publishSeconds },
      chosen: { examples: chosen.examples.length, preDrift: chosen.preDrift, postDrift: chosen.postDrift },
      manifest,
      decision: decision.event,
      totalMs: decision.at - alertAt,
      segments: [
        { step: 'alert consumed → pending trigger recorded', ms: recorded - alertAt },
        { step: 'scheduler tick + lock → retrain starting', ms: starting - recorded },
        { step: 'champion lookup + log read + join', ms: dataRead - starting },
        { step: 'grid search (tfjs fit, search table)', ms: gridSeconds * 1000 },
        { step: 'diagnosis, set choice, parent load, encode, test scoring', ms: scored - dataRead - gridSeconds * 1000 },
        { step: 'variants, profile, store, CANDIDATE+PROMOTED → received', ms: decision.at - scored },
      ],
      grid: { seconds: gridSeconds, exampleEpochs },
      direct: { championMs, readMs, messages: read.counts.messages.predictions + read.counts.messages.labels, joined: read.examples.length },
      incidentData: incident?.data ? { predictions: incident.data.predictions, labels: incident.data.labels, joined: incident.data.joined } : null,
      store,
      model,
      topics,
      test: test.map((e) => ({ features: e.features, label: e.label })),
      cleanup,
    };
  } finally {
    await watch.stop();
    await handle.stop();
  }
}

interface BackendResult {
  backend: string;
  error?: string;
  trainRows?: number;
  epochs?: number;
  fitSeconds?: number;
  examplesPerSecond?: number;
  validationMetric?: number;
}

function trainInChild(backend: TfBackend, examples: number): Promise<BackendResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/train-backend.ts', backend, String(examples)], {
      cwd: root,
      env: { ...process.env, DW_TF_BACKEND: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) reject(new Error(`train-backend ${backend} exited ${code} without a result:\n${out}\n${err}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as BackendResult);
    });
  });
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

async function watcherThroughput(bus: KafkaBus, codec: Codec, run: RetrainRun) {
  const watcher = await ModelWatcher.start({ bus, store: run.store, model: run.model, topics: run.topics, codec });
  let classifier: Classifier | undefined;
  try {
    await watcher.ready({ timeoutMs: 60_000 });
    await until('the watcher serving the promoted version', () => watcher.version(), (v) => v === run.decision.version, 60_000);
    classifier = await loadClassifier(run.store, run.model, run.decision.version);
    const rows = run.test.map((e) => e.features);
    const c = classifier;
    const batchesOf = (size: number): FeatureRow[][] => {
      let at = 0;
      return Array.from({ length: 16 }, () => Array.from({ length: size }, () => rows[(at++) % rows.length]!));
    };
    /** Rows/s of each side, alternating rounds and keeping each side's best (the machine is shared). */
    const compare = (base: (batch: FeatureRow[]) => unknown, watched: (batch: FeatureRow[]) => unknown, size: number) => {
      const batches = batchesOf(size);
      let next = 0;
      const best = { base: 0, watched: 0 };
      for (let round = 0; round < 3; round++) {
        best.base = Math.max(best.base, opsPerSecond(() => void base(batches[(next++) % batches.length]!), size, 400));
        best.watched = Math.max(best.watched, opsPerSecond(() => void watched(batches[(next++) % batches.length]!), size, 400));
      }
      return best;
    };
    const results: Record<string, string | number>[] = [];
    const row = (call: string, size: number, r: { base: number; watched: number }) => ({
      call,
      'Classifier rows/s': formatRate(r.base),
      'ModelWatcher rows/s': formatRate(r.watched),
      'watcher / classifier': (r.watched / r.base).toFixed(2),
      'µs per call (watcher)': ((1e6 * size) / r.watched).toFixed(0),
    });
    results.push(row('predict (1 row)', 1, compare((b) => c.predict(b[0]!), (b) => watcher.predict(b[0]!), 1)));
    for (const size of [64, 512]) results.push(row(`predictBatch (${size} rows)`, size, compare((b) => c.predictBatch(b), (b) => watcher.predictBatch(b), size)));
    return results;
  } finally {
    classifier?.dispose();
    await watcher.close();
  }
}

async function variantParity(run: RetrainRun) {
  const { tf } = await loadTf();
  const { model, store, manifest } = { model: run.model, store: run.store, manifest: run.manifest };
  const [modelJson, weights] = await Promise.all([store.readFile(model, manifest.version, 'model.json'), store.readFile(model, manifest.version, WEIGHTS_FILE)]);
  const spec = manifest.featureSpec;
  const classes = manifest.classes;
  const encoded = encodeRows(spec, run.test.map((e) => e.features));
  const labels = run.test.map((e) => e.label);
  const probabilitiesOf = async (json: Uint8Array, bin: Uint8Array) => {
    const network = await modelFromArtifacts(json, bin);
    try {
      return predictProbabilities(tf, network, encoded, spec.width);
    } finally {
      disposeNetwork(network);
    }
  };
  const full = await probabilitiesOf(modelJson, weights);
  const fullScore = scoreProbabilities(full, classes, labels, 'accuracy');
  const rows: Record<string, string | number>[] = [
    { precision: 'float32', 'weights bytes': weights.length, 'vs float32': '1.00', 'class agreement': '1.0000', 'max |Δp|': '0', 'accuracy': fullScore.value.toFixed(4), 'Δ accuracy': '0', 'kept by the retrain': 'yes' },
  ];
  for (const precision of ['float16', 'uint8'] as Precision[]) {
    const quantized = quantizeArtifacts({ modelJson, weights }, precision);
    const p = await probabilitiesOf(quantized.modelJson, quantized.weights);
    const scored = scoreProbabilities(p, classes, labels, 'accuracy');
    let maxDiff = 0;
    for (let i = 0; i < p.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p[i]! - full[i]!));
    const agreement = scored.predicted.filter((c, i) => c === fullScore.predicted[i]).length / labels.length;
    const kept = manifest.variants.some((v) => v.precision === precision);
    rows.push({
      precision,
      'weights bytes': quantized.weights.length,
      'vs float32': (quantized.weights.length / weights.length).toFixed(2),
      'class agreement': agreement.toFixed(4),
      'max |Δp|': maxDiff.toExponential(2),
      accuracy: scored.value.toFixed(4),
      'Δ accuracy': (scored.value - fullScore.value).toFixed(4),
      'kept by the retrain': kept ? 'yes' : 'no',
    });
  }
  return rows;
}

async function run(): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS || '127.0.0.1:9092';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const { backend } = await loadTf({ backend: BENCH_BACKEND });
  const bus = await KafkaBus.connect({ brokers: brokers.split(','), logger: silentLogger(), consumer: fastConsumer });
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const codec = new Codec();
  const runs: RetrainRun[] = [];
  try {
    // 1. alert → PROMOTED
    for (const size of SIZES) runs.push(await retrainRun(size, bus, admin, codec, brokers, redisUrl));
    const smallest = runs[0]!;
    printTable(`Retrain: alert → ${'PROMOTED'} on real Kafka and Redis, backend ${backend}, default grid (2 learning rates × 2 L2, epochs read at 5 and 15), debounce 0, scheduler tick 100 ms`, runs.map((r) => ({
      'training set (used)': r.chosen.examples,
      'pre / post drift': `${r.chosen.preDrift} / ${r.chosen.postDrift}`,
      'train / val / test': `${r.manifest.split.train.size} / ${r.manifest.split.validation.size} / ${r.manifest.split.test.size}`,
      'published preds (pre/post)': `${r.published.predictions} (${r.published.preDrift}/${r.published.postDrift})`,
      'read from log (preds/labels/joined)': r.incidentData ? `${r.incidentData.predictions}/${r.incidentData.labels}/${r.incidentData.joined}` : '-',
      decision: r.decision.status,
      'accuracy champion → challenger': `${(r.decision.championMetrics.accuracy ?? Number.NaN).toFixed(3)} → ${(r.decision.challengerMetrics.accuracy ?? Number.NaN).toFixed(3)}`,
      'alert → PROMOTED s': seconds(r.totalMs),
      [`vs ${smallest.size}`]: (r.totalMs / smallest.totalMs).toFixed(2),
    })));
    for (const r of runs) {
      printTable(`Retrain of ${r.chosen.examples} examples: where the ${seconds(r.totalMs)} s go`, [
        ...r.segments.map((s) => ({ step: s.step, s: seconds(s.ms), share: `${((100 * s.ms) / r.totalMs).toFixed(0)}%` })),
        { step: 'total (alert published → PROMOTED received)', s: seconds(r.totalMs), share: '100%' },
      ]);
      console.log(
        `  timed directly after the retrain: readChampion ${seconds(r.direct.championMs)} s; readTrainingExamples (read + decode + join) ${seconds(r.direct.readMs)} s ` +
          `for ${r.direct.messages} messages → ${r.direct.joined} examples (${formatRate((r.direct.messages * 1000) / r.direct.readMs)} messages)`,
      );
      console.log(
        `  grid search: ${r.grid.exampleEpochs} example-epochs in ${r.grid.seconds.toFixed(1)} s = ${formatRate(r.grid.exampleEpochs / r.grid.seconds)} examples; ` +
          `best lr ${r.manifest.hyperparameters.learningRate}, epochs ${r.manifest.hyperparameters.epochs}, l2 ${r.manifest.hyperparameters.l2} (${r.manifest.hyperparameters.start}); ` +
          `setup published ${r.published.predictions + r.published.labels} events in ${r.published.seconds.toFixed(1)} s`,
      );
    }
    const tenK = runs.find((r) => r.chosen.examples === 10_000);
    if (tenK) console.log(`retrain of 10,000 examples: ${seconds(tenK.totalMs)} s alert → PROMOTED (goal < ${GOAL_10K_SECONDS} s: ${tenK.totalMs < GOAL_10K_SECONDS * 1000 ? 'met' : 'missed'})`);

    // 2. Training speed per backend, each in its own process, one after the other.
    const backends: BackendResult[] = [];
    for (const b of ['tfjs-node', 'wasm', 'cpu'] as TfBackend[]) backends.push(await trainInChild(b, BACKEND_EXAMPLES));
    const cpu = backends.find((b) => b.backend === 'cpu' && b.examplesPerSecond !== undefined);
    printTable(`Training speed per backend: the same gridSearch (default grid, from scratch) on ${BACKEND_EXAMPLES} concept-B examples, one child process each`, backends.map((b) => b.error !== undefined
      ? { backend: b.backend, 'train rows': '-', epochs: '-', 'fit s': '-', 'examples × epochs / s': `does not load: ${b.error.replace(/^.*cannot load: /, '').slice(0, 90)}`, 'vs cpu': '-', 'val accuracy': '-' }
      : {
        backend: b.backend,
        'train rows': b.trainRows!,
        epochs: b.epochs!,
        'fit s': b.fitSeconds!.toFixed(1),
        'examples × epochs / s': formatRate(b.examplesPerSecond!),
        'vs cpu': cpu ? (b.examplesPerSecond! / cpu.examplesPerSecond!).toFixed(2) : '-',
        'val accuracy': b.validationMetric!.toFixed(3),
      }));

    // 3 and 4 on the largest run's promoted version.
    const largest = runs[runs.length - 1]!;
    if (largest.decision.status === 'PROMOTED') {
      printTable(`ModelWatcher vs Classifier.predictBatch (version ${largest.decision.version}, ${backend}, rows from the test split)`, await watcherThroughput(bus, codec, largest));
      printTable(`Quantized variants of version ${largest.decision.version} on the retrain's test split (${largest.test.length} examples)`, await variantParity(largest));
    } else {
      console.log(`the ${largest.size} retrain was ${largest.decision.status} (${largest.decision.reason}); no watcher or variant figures`);
    }
  } finally {
    for (const r of runs) await r.cleanup();
    await admin.disconnect();
    await bus.close();
  }
}

export default { title: 'Retrain: alert → PROMOTED, training speed per backend, ModelWatcher, quantized variants', needsServices: true, run } satisfies BenchModule;
