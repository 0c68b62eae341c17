// The `npm start` demo as functions: its options (documented in ./main.ts) and a run that
// prints one line per event and the incident at the end. The integration test calls runDemo.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { loadConsoleConfig } from '../../shared/console/console-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { createConcept, isConceptKind, CONCEPT_KINDS, type ConceptSpec } from '../../shared/sim/concepts/index.js';
import type { LabelDelay } from '../../shared/sim/simulation.js';
import { DEFAULT_DEMO_SCHEDULE } from './demo-config.js';
import { eventLine, incidentLines } from './demo-output.js';
import { runLoopDemo, type DemoEvent, type LoopDemoOptions, type LoopDemoResult } from './loop-demo.js';

export class DemoOptionError extends Error {
  override readonly name = 'DemoOptionError';
}

export interface DemoCliOptions extends Omit<LoopDemoOptions, 'store' | 'logger' | 'onEvent' | 'signal' | 'beforeClose'> {
  /** DW_MODEL_STORE, or undefined for a temporary directory. */
  storeDir: string | undefined;
  /** Keep the dashboard serving after the verdict until the signal aborts (Ctrl-C). */
  serve: boolean;
}

const FLAGS = {
  mode: 'DW_MODE',
  before: 'DEMO_BEFORE',
  after: 'DEMO_AFTER',
  'drift-after': 'DEMO_DRIFT_AFTER',
  rate: 'DEMO_RATE',
  'label-delay': 'DEMO_LABEL_DELAY',
  'bootstrap-rows': 'DEMO_BOOTSTRAP_ROWS',
  seed: 'DEMO_SEED',
  debounce: 'DEMO_DEBOUNCE',
  'verify-after': 'DEMO_VERIFY_AFTER',
  tail: 'DEMO_TAIL',
  deadline: 'DEMO_DEADLINE',
  'progress-every': 'DEMO_PROGRESS_EVERY',
} as const;
type Flag = keyof typeof FLAGS;

/**
 * DEMO_SERVE (--serve / --no-serve): keep the dashboard up after the verdict until Ctrl-C. The
 * default is yes on a terminal (someone can look at the page), no otherwise (tests, CI), so a
 * non-interactive run exits as soon as the loop is done, with the same exit codes.
 */
function serveOption(flags: { serve?: boolean; 'no-serve'?: boolean }, env: NodeJS.ProcessEnv, stdoutIsTty: boolean): boolean {
  if (flags.serve && flags['no-serve']) throw new DemoOptionError('--serve and --no-serve contradict each other');
  if (flags.serve) return true;
  if (flags['no-serve']) return false;
  const text = env.DEMO_SERVE?.trim().toLowerCase();
  if (text === undefined || text === '') return stdoutIsTty;
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (['0', 'false', 'no'].includes(text)) return false;
  throw new DemoOptionError(`DEMO_SERVE (--serve/--no-serve) must be 1 or 0, got "${env.DEMO_SERVE}"`);
}

/** `stdoutIsTty`: whether a person is likely watching (decides DEMO_SERVE's default). */
export function readDemoOptions(argv: string[], env: NodeJS.ProcessEnv, stdoutIsTty = false): DemoCliOptions {
  let values: Partial<Record<Flag, string>> & { serve?: boolean; 'no-serve'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...(Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])) as Record<Flag, { type: 'string' }>),
        serve: { type: 'boolean' },
        'no-serve': { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new DemoOptionError((error as Error).message);
  }
  const text = (flag: Flag): string | undefined => {
    const value = values[flag] ?? env[FLAGS[flag]];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const name = (flag: Flag): string => `${FLAGS[flag]} (--${flag})`;
  const number = (flag: Flag, fallback: number, check: (n: number) => boolean, what: string): number => {
    const raw = text(flag);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || !check(value)) throw new DemoOptionError(`${name(flag)} must be ${what}, got "${raw}"`);
    return value;
  };
  const positive = (flag: Flag, fallback: number): number => number(flag, fallback, (n) => n > 0, 'a positive number');
  const count = (flag: Flag, fallback: number): number => number(flag, fallback, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');

  const seed = number('seed', 7, Number.isInteger, 'an integer');
  const concept = (flag: Flag, fallback: string): ConceptSpec => {
    const raw = text(flag) ?? fallback;
    const match = /^([a-z]+)(?::(\d+))?$/.exec(raw);
    if (!match || !isConceptKind(match[1]!)) throw new DemoOptionError(`${name(flag)} must be KIND[:VARIANT] with KIND one of ${CONCEPT_KINDS.join(', ')}, got "${raw}"`);
    const spec = { kind: match[1], seed, ...(match[2] !== undefined ? { variant: Number(match[2]) } : {}) } as ConceptSpec;
    try {
      createConcept(spec);
    } catch (error) {
      throw new DemoOptionError(`${name(flag)}: ${(error as Error).message}`);
    }
    return spec;
  };
  const labelDelay = ((): LabelDelay => {
    const raw = text('label-delay') ?? '500,2000';
    const parts = raw.split(',').map((p) => Number(p.trim()));
    const [minMs, maxMs] = parts.length === 1 ? [parts[0]!, parts[0]!] : parts;
    if (parts.length > 2 || !Number.isInteger(minMs) || !Number.isInteger(maxMs) || minMs! < 0 || maxMs! < minMs!) {
      throw new DemoOptionError(`${name('label-delay')} must be MIN,MAX in whole ms with 0 ≤ MIN ≤ MAX, got "${raw}"`);
    }
    return { minMs: minMs!, maxMs: maxMs! };
  })();

  const mode = text('mode') ?? 'embedded';
  const runtime = loadRuntimeConfig({ ...env, DW_MODE: mode, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' });
  const runId = randomBytes(3).toString('hex');
  const distributed = runtime.mode === 'distributed';
  const config: RuntimeConfig = distributed ? { ...runtime, topics: { ...runtime.topics, prefix: `${runtime.topics.prefix}demo-${runId}.` } } : runtime;
  const storeDir = env.DW_MODEL_STORE && env.DW_MODEL_STORE.trim() !== '' ? env.DW_MODEL_STORE : undefined;

  return {
    config,
    // On a shared Redis the monitors' state is keyed by model: a fresh name per run starts from nothing.
    model: distributed ? `sim-demo-${runId}` : 'sim',
    storeDir,
    before: concept('before', 'hyperplane:0'),
    after: concept('after', 'hyperplane:1'),
    rate: positive('rate', 200),
    driftAfterMs: Math.round(positive('drift-after', 20) * 1000),
    labelDelay,
    bootstrapRows: count('bootstrap-rows', 3000),
    seed,
    schedule: { debounceS: number('debounce', DEFAULT_DEMO_SCHEDULE.debounceS, (n) => n >= 0, 'a non-negative number'), verifyAfter: count('verify-after', DEFAULT_DEMO_SCHEDULE.verifyAfter) },
    tailMs: Math.round(number('tail', 6, (n) => n >= 0, 'a non-negative number') * 1000),
    deadlineMs: Math.round(positive('deadline', 150) * 1000),
    progressEveryMs: Math.round(positive('progress-every', 3) * 1000),
    // The dashboard: DW_CONSOLE_PORT (default 8090, 0 = any free port), DW_CONSOLE_TOKEN, DW_CONSOLE_HISTORY.
    console: { config: loadConsoleConfig(env), fallbackToAnyPort: (env.DW_CONSOLE_PORT ?? '').trim() === '' },
    serve: serveOption(values, env, stdoutIsTty),
  };
}

/** Resolves when the signal aborts (never without one). */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Runs the demo, writing its lines to `write`; resolves with the loop's result. */
export async function runDemo(
  options: DemoCliOptions,
  write: (line: string) => void,
  signal?: AbortSignal,
): Promise<LoopDemoResult> {
  const started = Date.now();
  const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  const temporary = options.storeDir === undefined ? mkdtempSync(join(tmpdir(), 'dw-demo-models-')) : undefined;
  const storeDir = options.storeDir ?? temporary!;
  const logger = createLogger('demo', { level: options.config.logLevel, destination: process.stderr });
  let dashboard: string | undefined;
  const onEvent = (event: DemoEvent): void => {
    if (event.type === 'started') {
      write(
        `driftwatch demo (${event.mode}): model "${event.model}" predicting ${event.rate}/s in real time, labels ` +
          `${options.labelDelay.minMs / 1000}–${options.labelDelay.maxMs / 1000} s late;`,
      );
      write(`  concept ${event.before} → ${event.after} after ${event.driftAfterS} s; models stored in ${storeDir}${temporary ? ' (removed at exit)' : ''}`);
      return;
    }
    if (event.type === 'console') {
      dashboard = event.url;
      write(`  dashboard: ${event.url}${event.token ? ' (append ?token=<DW_CONSOLE_TOKEN>)' : ''}`);
      return;
    }
    const line = eventLine(event);
    if (line !== null) write(`${stamp()} ${line}`);
  };
  const summarize = (result: LoopDemoResult): void => {
    const incident = result.verified ?? result.incidents.at(-1);
    write('');
    if (incident) for (const line of incidentLines(incident)) write(line);
    else write('No retrain happened.');
    write('');
    const a = result.accuracy;
    write(
      `Rolling accuracy of the app: ${fmt(a.beforeDrift)} before the drift, ${fmt(a.lowest)} at its lowest, ${fmt(a.end)} at the end ` +
        `(${result.progress.predictions} predictions, ${result.progress.labels} labels).`,
    );
    const t = result.timings;
    const at = (key: string): string => (t[key] === undefined ? '–' : `${t[key]!.toFixed(1)} s`);
    const v2 = result.swaps.at(-1)?.to;
    write(
      `Timeline from the app's first prediction: drift ${at('drift')}, first alert ${at('firstAlert')}, retrain ${at('incident:training')}, ` +
        `${v2 ? `v${v2} promoted ${at(`promoted:v${v2}`)}, swap ${at(`swap:v${v2}`)}, ` : ''}verdict ${at('incident:recovered') !== '–' ? at('incident:recovered') : at('incident:not_recovered')}.`,
    );
    write(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s (${result.reason}). Replay your own files with: driftwatch replay --help`);
  };
  // Serving: the summary first, then the dashboard stays up (services and bus too) until Ctrl-C.
  const beforeClose = async (result: LoopDemoResult): Promise<void> => {
    summarize(result);
    if (dashboard === undefined || signal?.aborted) return;
    write(`The dashboard keeps serving at ${dashboard} — press Ctrl-C to stop.`);
    await aborted(signal);
  };
  try {
    const result = await runLoopDemo({
      ...options,
      store: new LocalModelStore(storeDir),
      logger,
      onEvent,
      ...(options.serve ? { beforeClose } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!options.serve) summarize(result);
    return result;
  } finally {
    if (temporary) rmSync(temporary, { recursive: true, force: true });
  }
}

const fmt = (value: number | null): string => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);
