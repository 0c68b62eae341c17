// `driftwatch models list | show | rollback`: the models registry as the models topic tells it
// (shared/sdk/models/model-registry.ts), and the operator's rollback. Connection settings come
// from the environment like the services' (KAFKA_*, DW_TOPIC_PREFIX; DW_MODEL_STORE for the
// version directories).
import type { Command } from 'commander';
import { UnknownTopicError } from '../../shared/bus/errors.js';
import type { EventBus, LogReader } from '../../shared/bus/types.js';
import { IntegrityError, ModelNotFoundError, type ModelStore } from '../../shared/models/model-store.js';
import { modelStoreFromEnv } from '../../shared/models/local-model-store.js';
import {
  publishRollback,
  readModelRegistry,
  type ModelRegistryView,
  type ModelVersionView,
  type ModelView,
} from '../../shared/sdk/models/model-registry.js';
import { table } from '../../shared/report/text-table.js';
import { topicNames, type TopicNames } from '../../shared/topics.js';
import { connectBus } from './connect-bus.js';
import { CliError, type CliStreams } from './program.js';

export interface ModelsConnection {
  bus: EventBus & Partial<LogReader>;
  topics: TopicNames;
  close(): Promise<void>;
}

export interface ModelsCommandDeps extends CliStreams {
  /** Where connection settings come from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

async function connect(env: NodeJS.ProcessEnv): Promise<ModelsConnection> {
  const { bus, runtime } = await connectBus(env, 'error');
  return { bus, topics: topicNames(runtime.topics.prefix), close: () => bus.close() };
}

function openStore(env: NodeJS.ProcessEnv): ModelStore {
  try {
    return modelStoreFromEnv(env);
  } catch (error) {
    throw new CliError(`cannot open the model store (${storeName(env)}): ${(error as Error).message}`);
  }
}

/** Where the versions are looked for, for error messages. */
function storeName(env: NodeJS.ProcessEnv): string {
  const dir = env.DW_MODEL_STORE?.trim();
  return dir ? `model store ${dir}` : 'model store .driftwatch/models, the default: DW_MODEL_STORE is not set';
}

async function withConnection<T>(deps: ModelsCommandDeps, work: (connection: ModelsConnection) => Promise<T>): Promise<T> {
  const connection = await connect(deps.env ?? process.env);
  try {
    return await work(connection);
  } catch (error) {
    if (error instanceof UnknownTopicError) {
      throw new CliError(`${error.message} (is DW_TOPIC_PREFIX right? the services create the topics when they start)`);
    }
    throw error;
  } finally {
    await connection.close();
  }
}

async function registry(connection: ModelsConnection): Promise<ModelRegistryView> {
  return readModelRegistry({ bus: connection.bus, topics: connection.topics });
}

function findModel(view: ModelRegistryView, model: string): ModelView {
  const found = view.models.find((m) => m.model === model);
  if (!found) {
    const known = view.models.map((m) => m.model);
    throw new CliError(`unknown model ${model}: no events on the models topic${known.length ? ` (known: ${known.join(', ')})` : ''}`);
  }
  return found;
}

// ---- formatting ----------------------------------------------------------------------------

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function number(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(4);
}

function metricOf(version: ModelVersionView): string {
  const name = version.metric ?? (version.metrics.accuracy !== undefined ? 'accuracy' : Object.keys(version.metrics)[0]);
  return name === undefined ? '-' : `${name}=${number(version.metrics[name])}`;
}

function listText(view: ModelRegistryView): string {
  if (view.models.length === 0) return 'No models: the models topic has no events yet.\n';
  return table(
    ['MODEL', 'CHAMPION', 'SINCE', 'VERSIONS', 'LATEST', 'LATEST STATUS'],
    view.models.map((m) => {
      const latest = m.versions.at(-1);
      return [
        m.model,
        m.champion ?? '-',
        time(m.championSince),
        String(m.versions.length),
        latest?.version ?? '-',
        latest?.status ?? '-',
      ];
    }),
  );
}

function modelText(model: ModelView): string {
  const head = `Model ${model.model}: champion ${model.champion ?? '(none)'}${model.champion ? ` since ${time(model.championSince)}` : ''}\n\n`;
  const rows = model.versions.map((v) => [
    v.version === model.champion ? `*${v.version}` : ` ${v.version}`,
    v.stale ? `${v.status} (stale token, ignored)` : v.status,
    v.parentVersion ?? '-',
    metricOf(v),
    v.trigger.kind,
    time(v.time),
    v.reason ?? '',
  ]);
  let text = head + table(['VERSION', 'STATUS', 'PARENT', 'METRIC', 'TRIGGER', 'TIME', 'REASON'], rows);
  for (const s of model.stalePromotions) {
    text += `ignored: PROMOTED ${s.version} at offset ${s.offset} (fencing token ${s.fencingToken} < ${s.highestToken})\n`;
  }
  return text;
}

function versionText(model: ModelView, version: ModelVersionView, manifest: unknown): string {
  const lines: [string, string][] = [
    ['model', model.model],
    ['version', version.version + (version.version === model.champion ? ' (champion)' : '')],
    ['status', version.status],
    ['parent', version.parentVersion ?? '-'],
    ['trigger', version.trigger.kind + (version.trigger.alertId ? ` (alert ${version.trigger.alertId})` : '')],
    ['reason', version.reason ?? '-'],
    ['metric', version.metric ?? '-'],
    ['incident', version.incidentId ?? '-'],
    ['fencing token', version.fencingToken === null ? '-' : String(version.fencingToken)],
    ['training size', String(version.trainingSize)],
    ['variants', version.variants.length ? version.variants.join(', ') : '-'],
    ['backend', version.backend ?? '-'],
    ['artifact', version.artifactUri],
    ['first seen', time(version.firstSeen)],
    ['updated', time(version.time)],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  let text = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
  const names = [...new Set([...Object.keys(version.metrics), ...Object.keys(version.championMetrics)])].sort();
  if (names.length) {
    text += '\n' + table(['METRIC', 'THIS VERSION', 'CHAMPION'], names.map((n) => [n, number(version.metrics[n]), number(version.championMetrics[n])]));
  }
  text += '\n' + table(['OFFSET', 'STATUS', 'TIME', 'REASON'], version.history.map((h) => [String(h.offset), h.status, time(h.time), h.reason ?? '']));
  if (manifest === null) text += '\n(no manifest: the model store does not hold this version; DW_MODEL_STORE names it)\n';
  return text;
}

function json(deps: CliStreams, value: unknown): void {
  deps.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// ---- commands ------------------------------------------------------------------------------

async function list(deps: ModelsCommandDeps, options: { json?: boolean }): Promise<void> {
  const view = await withConnection(deps, registry);
  if (options.json) json(deps, view);
  else deps.stdout.write(listText(view));
}

async function show(deps: ModelsCommandDeps, modelName: string, versionName: string | undefined, options: { json?: boolean }): Promise<void> {
  const view = await withConnection(deps, registry);
  const model = findModel(view, modelName);
  if (versionName === undefined) {
    if (options.json) json(deps, model);
    else deps.stdout.write(modelText(model));
    return;
  }
  const version = model.versions.find((v) => v.version === versionName);
  if (!version) {
    throw new CliError(`model ${modelName} has no version ${versionName} on the models topic (versions: ${model.versions.map((v) => v.version).join(', ') || 'none'})`);
  }
  const env = deps.env ?? process.env;
  let manifest: unknown = null;
  try {
    manifest = await openStore(env).manifest(modelName, versionName);
  } catch (error) {
    if (!(error instanceof ModelNotFoundError)) throw new CliError(`cannot read the manifest: ${(error as Error).message}`);
  }
  if (options.json) json(deps, { ...version, model: modelName, champion: version.version === model.champion, manifest });
  else deps.stdout.write(versionText(model, version, manifest));
}

async function rollback(
  deps: ModelsCommandDeps,
  modelName: string,
  versionName: string,
  options: { json?: boolean; reason?: string },
): Promise<void> {
  const env = deps.env ?? process.env;
  const store = openStore(env);
  const result = await withConnection(deps, async (connection) => {
    const before = (await registry(connection)).models.find((m) => m.model === modelName)?.champion ?? null;
    try {
      const event = await publishRollback({
        bus: connection.bus,
        store,
        model: modelName,
        version: versionName,
        topics: connection.topics,
        ...(options.reason !== undefined ? { reason: options.reason } : {}),
      });
      return { model: modelName, version: versionName, previousChampion: before, reason: event.reason, time: event.time };
    } catch (error) {
      if (error instanceof ModelNotFoundError || error instanceof RangeError) {
        throw new CliError(`cannot roll back: ${error.message} (${storeName(env)})`);
      }
      if (error instanceof IntegrityError) throw new CliError(`refusing to roll back to a corrupted version: ${error.message}`);
      throw error;
    }
  });
  if (options.json) json(deps, result);
  else {
    deps.stdout.write(
      `Rolled ${modelName} back to version ${versionName} (champion was ${result.previousChampion ?? 'none'}); ` +
        'published ROLLED_BACK.\n',
    );
  }
}

/** Adds `models list|show|rollback` to the program. */
export function registerModelsCommands(program: Command, deps: ModelsCommandDeps): void {
  const models = program.command('models').description('List model versions, show one, roll back to an earlier version (from the models topic).');
  models
    .command('list')
    .description('Every model on the models topic with its champion and latest version.')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => list(deps, options));
  models
    .command('show')
    .description("A model's versions (status, parent, metric, trigger), or one version in detail.")
    .argument('<model>')
    .argument('[version]')
    .option('--json', 'machine-readable output')
    .action((model: string, version: string | undefined, options: { json?: boolean }) => show(deps, model, version, options));
  models
    .command('rollback')
    .description('Make a stored version the champion again (verifies its files, publishes ROLLED_BACK).')
    .argument('<model>')
    .argument('<version>')
    .option('--reason <text>', 'why, recorded in the event')
    .option('--json', 'machine-readable output')
    .action((model: string, version: string, options: { json?: boolean; reason?: string }) => rollback(deps, model, version, options));
}
