// The simulator's streams: the live one (before → after at a wall-time offset) and the
// labelled sample of the `before` concept that bootstraps version 1.
//
// Training data files (`--write-training-data FILE`), chosen by FILE's extension:
//   *.csv      a header, then one row per example: the feature columns by feature name, then
//              `label` and `time` (event time, ms since the epoch). A feature whose values are
//              categories that look like numbers (agrawal's elevel, car, zipcode) gets the
//              `:categorical` suffix records-csv.ts uses (`elevel:categorical`), so a reader that
//              types cells by their text keeps them categorical.
//   otherwise  JSON Lines, one `{ "features": {...}, "label": "...", "time": ms }` per line
//              (the unambiguous one: feature types are JSON types).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { csvLine, featureValue } from '../cli/records-csv.js';
import { createConcept } from '../../shared/sim/concepts/index.js';
import { driftingStream, type DriftSample } from '../../shared/sim/concepts/drift.js';
import { deriveSeed } from '../../shared/sim/concepts/seed.js';
import { createPrng } from '../../shared/sim/prng.js';
import { labelledSample, type LabelledRow, type TimedLabelledRow } from '../../shared/sim/simulation.js';
import type { RunOptions, WriteTrainingDataOptions } from './options.js';

/** Sample index of a wall-time offset at the simulation's rate. */
export const indexAt = (seconds: number, rate: number): number => Math.round(seconds * rate);

/** The live stream: endless; the count and duration are the LiveSimulation's business. */
export function liveStream(options: RunOptions): Generator<DriftSample, void, undefined> {
  return driftingStream({
    before: options.before,
    after: options.after,
    at: indexAt(options.driftAfterS, options.rate),
    width: indexAt(options.driftWidthS, options.rate),
    seed: options.seed,
    ...(options.noiseLabelsAfterS !== undefined
      ? { noiseLabels: { share: 1, from: indexAt(options.noiseLabelsAfterS, options.rate) } }
      : {}),
  });
}

/**
 * `rows` labelled examples of the `before` concept (same concept seed as the live run, so the
 * same hyperplane; other samples than the live stream's), timed at the rate and ending at `now`.
 */
export function trainingSample(options: Pick<WriteTrainingDataOptions, 'before' | 'seed' | 'rate' | 'rows'>, now: number): TimedLabelledRow[] {
  const concept = createConcept(options.before);
  const rng = createPrng(deriveSeed(options.seed, 0x7a1b));
  const stream: Iterator<LabelledRow> = { next: () => ({ done: false, value: concept.sample(rng) }) };
  const span = Math.ceil((options.rows * 1000) / options.rate);
  return labelledSample(stream, options.rows, { startTime: now - span, rate: options.rate });
}

export function trainingFormat(file: string): 'csv' | 'jsonl' {
  return /\.csv$/i.test(file) ? 'csv' : 'jsonl';
}

/** The file's lines, header first for CSV. */
export function trainingLines(rows: readonly TimedLabelledRow[], format: 'csv' | 'jsonl'): string[] {
  if (format === 'jsonl') return rows.map((row) => JSON.stringify({ features: row.features, label: row.label, time: row.time }));
  const names: string[] = [];
  const categoricalLooksTyped = new Set<string>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row.features)) {
      if (!names.includes(name)) names.push(name);
      if (typeof value === 'string' && typeof featureValue(value, null, name) !== 'string') categoricalLooksTyped.add(name);
    }
  }
  for (const reserved of ['label', 'time']) {
    if (names.includes(reserved)) throw new Error(`a feature is named "${reserved}", which the CSV layout reserves; write JSON Lines instead`);
  }
  const header = [...names.map((n) => (categoricalLooksTyped.has(n) ? `${n}:categorical` : n)), 'label', 'time'];
  const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));
  return [csvLine(header), ...rows.map((row) => csvLine([...names.map((n) => text(row.features[n])), row.label, String(row.time)]))];
}

/** Writes the sample; resolves with the number of rows and the format used. */
export async function writeTrainingData(
  options: WriteTrainingDataOptions,
  now: number = Date.now(),
): Promise<{ rows: number; format: 'csv' | 'jsonl' }> {
  const rows = trainingSample(options, now);
  const format = trainingFormat(options.file);
  const out = createWriteStream(options.file);
  for (const line of trainingLines(rows, format)) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
  return { rows: rows.length, format };
}
