// The simulator's options: each by flag or by environment variable (the flag wins). A bad
// value is one SimulatorOptionError that names the variable and the flag.
//
//   SIM_MODEL              --model NAME            model to follow and log under (default sim)
//   SIM_CONCEPT_BEFORE     --before KIND[:VARIANT] concept before the drift (default hyperplane:0)
//   SIM_CONCEPT_AFTER      --after KIND[:VARIANT]  concept after it (default hyperplane:1)
//                                                  kinds: sea (variant 0..3), hyperplane (0, 1, …),
//                                                  agrawal (function 1..10)
//   SIM_DRIFT_AFTER        --drift-after S         seconds of wall time before the drift (default 60)
//   SIM_DRIFT_WIDTH        --drift-width S         seconds over which it phases in; 0 = abrupt (default 0)
//   SIM_RATE               --rate N                predictions per second (default 50)
//   SIM_LABEL_DELAY        --label-delay MIN,MAX   label delay in ms, uniform (default 1000,5000; one number = fixed)
//   SIM_LABEL_SHARE        --label-share P         share of predictions that get a label (default 1)
//   SIM_NOISE_LABELS_AFTER --noise-labels-after S  from this many seconds on, labels are random classes
//   SIM_SEED               --seed N                seed of the concepts, the stream and the delays (default 1)
//   SIM_DURATION           --duration S            stop predicting after S seconds (then wait for the labels)
//   SIM_COUNT              --count N               stop after N predictions (then wait for the labels)
//   SIM_READY_TIMEOUT      --ready-timeout S       how long to wait for a promoted version (default 30)
//   SIM_TICK_MS            --tick-ms MS            publish every MS ms (default 100)
//   SIM_PROGRESS_EVERY     --progress-every S      a progress line every S seconds (default 5)
//                          --write-training-data FILE --rows N
//                                                  write N labelled rows (default 2000) of the `before`
//                                                  concept to FILE and exit (see writeTrainingData)
import { parseArgs } from 'node:util';
import { createConcept, isConceptKind, CONCEPT_KINDS, type ConceptSpec } from '../../shared/sim/concepts/index.js';
import type { LabelDelay } from '../../shared/sim/simulation.js';

export class SimulatorOptionError extends Error {
  override readonly name = 'SimulatorOptionError';
}

export interface RunOptions {
  mode: 'run';
  model: string;
  before: ConceptSpec;
  after: ConceptSpec;
  /** Seconds of wall time. */
  driftAfterS: number;
  driftWidthS: number;
  rate: number;
  labelDelay: LabelDelay;
  labelShare: number;
  noiseLabelsAfterS: number | undefined;
  seed: number;
  durationS: number | undefined;
  count: number | undefined;
  readyTimeoutS: number;
  tickMs: number;
  progressEveryS: number;
}

export interface WriteTrainingDataOptions {
  mode: 'write-training-data';
  model: string;
  before: ConceptSpec;
  seed: number;
  rate: number;
  file: string;
  rows: number;
}

export type SimulatorOptions = RunOptions | WriteTrainingDataOptions;

const FLAGS = {
  model: 'SIM_MODEL',
  before: 'SIM_CONCEPT_BEFORE',
  after: 'SIM_CONCEPT_AFTER',
  'drift-after': 'SIM_DRIFT_AFTER',
  'drift-width': 'SIM_DRIFT_WIDTH',
  rate: 'SIM_RATE',
  'label-delay': 'SIM_LABEL_DELAY',
  'label-share': 'SIM_LABEL_SHARE',
  'noise-labels-after': 'SIM_NOISE_LABELS_AFTER',
  seed: 'SIM_SEED',
  duration: 'SIM_DURATION',
  count: 'SIM_COUNT',
  'ready-timeout': 'SIM_READY_TIMEOUT',
  'tick-ms': 'SIM_TICK_MS',
  'progress-every': 'SIM_PROGRESS_EVERY',
} as const;

type Flag = keyof typeof FLAGS;

export const USAGE = `usage: simulator [options]   (each option also by its environment variable)
  --model NAME                SIM_MODEL              model to follow (default sim)
  --before KIND[:VARIANT]     SIM_CONCEPT_BEFORE     default hyperplane:0 (kinds: ${CONCEPT_KINDS.join(', ')})
  --after KIND[:VARIANT]      SIM_CONCEPT_AFTER      default hyperplane:1
  --drift-after S             SIM_DRIFT_AFTER        seconds before the drift (default 60)
  --drift-width S             SIM_DRIFT_WIDTH        seconds it phases in over (default 0, abrupt)
  --rate N                    SIM_RATE               predictions per second (default 50)
  --label-delay MIN,MAX       SIM_LABEL_DELAY        ms (default 1000,5000)
  --label-share P             SIM_LABEL_SHARE        share of predictions labelled (default 1)
  --noise-labels-after S      SIM_NOISE_LABELS_AFTER random labels from then on
  --seed N                    SIM_SEED               (default 1)
  --duration S                SIM_DURATION           stop predicting after S seconds
  --count N                   SIM_COUNT              stop after N predictions
  --ready-timeout S           SIM_READY_TIMEOUT      wait for a promoted version (default 30)
  --tick-ms MS                SIM_TICK_MS            (default 100)
  --progress-every S          SIM_PROGRESS_EVERY     (default 5)
  --write-training-data FILE --rows N                write N rows of the before concept and exit`;

export function parseSimulatorOptions(argv: readonly string[], env: NodeJS.ProcessEnv): SimulatorOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        'write-training-data': { type: 'string' },
        rows: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new SimulatorOptionError(`${(error as Error).message}\n${USAGE}`);
  }

  const raw = (flag: Flag): { text: string; name: string } | undefined => {
    const name = `${FLAGS[flag]} (--${flag})`;
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return { text: fromFlag.trim(), name };
    const fromEnv = env[FLAGS[flag]];
    if (fromEnv === undefined || fromEnv.trim() === '') return undefined;
    return { text: fromEnv.trim(), name };
  };
  const bad = (name: string, expected: string, text: string): never => {
    throw new SimulatorOptionError(`${name} must be ${expected}, got "${text}"`);
  };
  const number = (flag: Flag, expected: string, check: (n: number) => boolean): number | undefined => {
    const value = raw(flag);
    if (!value) return undefined;
    const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.text) ? Number(value.text) : NaN;
    if (!Number.isFinite(n) || !check(n)) bad(value.name, expected, value.text);
    return n;
  };
  const positive = (flag: Flag) => number(flag, 'a positive number', (n) => n > 0);
  const nonNegative = (flag: Flag) => number(flag, 'a non-negative number', (n) => n >= 0);
  const integer = (flag: Flag, min: number) => number(flag, `an integer ≥ ${min}`, (n) => Number.isInteger(n) && n >= min);

  const modelRaw = raw('model');
  const model = modelRaw?.text ?? 'sim';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(model)) bad(modelRaw!.name, 'a model name (letters, digits, . _ -)', model);
  const seed = integer('seed', 0) ?? 1;
  const before = concept(raw('before'), 'SIM_CONCEPT_BEFORE (--before)', 'hyperplane:0', seed);
  const rate = positive('rate') ?? 50;

  const file = values['write-training-data'];
  if (typeof file === 'string') {
    if (file.trim() === '') throw new SimulatorOptionError('--write-training-data needs a file name');
    const rowsText = typeof values.rows === 'string' ? values.rows.trim() : '2000';
    const rows = /^\d+$/.test(rowsText) ? Number(rowsText) : NaN;
    if (!(Number.isSafeInteger(rows) && rows >= 1)) bad('--rows', 'a positive integer', rowsText);
    return { mode: 'write-training-data', model, before, seed, rate, file, rows };
  }
  if (values.rows !== undefined) throw new SimulatorOptionError('--rows is only for --write-training-data');

  const after = concept(raw('after'), 'SIM_CONCEPT_AFTER (--after)', 'hyperplane:1', seed);
  const labelShare = number('label-share', 'a share in [0, 1]', (n) => n >= 0 && n <= 1) ?? 1;
  const count = integer('count', 1);
  return {
    mode: 'run',
    model,
    before,
    after,
    driftAfterS: nonNegative('drift-after') ?? 60,
    driftWidthS: nonNegative('drift-width') ?? 0,
    rate,
    labelDelay: labelDelay(raw('label-delay')),
    labelShare,
    noiseLabelsAfterS: nonNegative('noise-labels-after'),
    seed,
    durationS: positive('duration'),
    count,
    readyTimeoutS: positive('ready-timeout') ?? 30,
    tickMs: integer('tick-ms', 1) ?? 100,
    progressEveryS: positive('progress-every') ?? 5,
  };
}

/** `kind[:variant]`, checked by building the concept (so a bad variant fails here, by name). */
function concept(value: { text: string; name: string } | undefined, name: string, fallback: string, seed: number): ConceptSpec {
  const text = value?.text ?? fallback;
  const match = /^([a-z]+)(?::(\d+))?$/i.exec(text);
  const expected = `KIND[:VARIANT] with KIND one of ${CONCEPT_KINDS.join(', ')}`;
  if (!match) throw new SimulatorOptionError(`${name} must be ${expected}, got "${text}"`);
  const kind = match[1]!.toLowerCase();
  if (!isConceptKind(kind)) throw new SimulatorOptionError(`${name} must be ${expected}, got "${text}"`);
  const spec = { kind, seed, ...(match[2] !== undefined ? { variant: Number(match[2]) } : {}) } as ConceptSpec;
  try {
    createConcept(spec);
  } catch (error) {
    throw new SimulatorOptionError(`${name}: ${(error as Error).message} (got "${text}")`);
  }
  return spec;
}

function labelDelay(value: { text: string; name: string } | undefined): LabelDelay {
  if (!value) return { minMs: 1_000, maxMs: 5_000 };
  const parts = value.text.split(',').map((s) => s.trim());
  const numbers = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  const ok = (parts.length === 1 || parts.length === 2) && numbers.every((n) => Number.isSafeInteger(n));
  const [minMs, maxMs] = numbers.length === 1 ? [numbers[0]!, numbers[0]!] : [numbers[0]!, numbers[1]!];
  if (!ok || minMs > maxMs) {
    throw new SimulatorOptionError(`${value.name} must be MIN,MAX in ms with 0 ≤ MIN ≤ MAX (or one number), got "${value.text}"`);
  }
  return { minMs, maxMs };
}
