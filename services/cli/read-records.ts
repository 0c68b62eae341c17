// Streams records out of JSONL or CSV files, lazily, so a replay of a file larger than
// memory works. Every problem surfaces as an InputError naming the file and line.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { InputError } from './input-error.js';
import { csvLayout, csvRowToRecord, type CsvLayout } from './records-csv.js';
import { toLabelRecord, toPredictionRecord } from './records-json.js';

export type RecordFormat = 'jsonl' | 'csv';
export const RECORD_FORMATS: readonly RecordFormat[] = ['jsonl', 'csv'];

/** The explicit format, else the file's extension (.csv → csv, anything else → jsonl). */
export function detectFormat(path: string, explicit?: string): RecordFormat {
  if (explicit !== undefined) {
    if (!RECORD_FORMATS.includes(explicit as RecordFormat)) throw new InputError(path, null, `unknown format "${explicit}" (use jsonl or csv)`);
    return explicit as RecordFormat;
  }
  return /\.csv$/i.test(path) ? 'csv' : 'jsonl';
}

/** Size in bytes, failing with a clear message when the file cannot be read. */
export async function inputSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(path, null, 'not a regular file');
    return info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(path, null, `cannot read: ${(error as Error).message}`);
  }
}

export interface ReadOptions {
  format: RecordFormat;
  /** Called with the number of bytes read so far (for a progress bar). */
  onBytes?: (bytes: number) => void;
}

export function readPredictions(path: string, options: ReadOptions): AsyncIterable<PredictionRecord> {
  return readRecords(path, 'prediction', options) as AsyncIterable<PredictionRecord>;
}

export function readLabels(path: string, options: ReadOptions): AsyncIterable<LabelRecord> {
  return readRecords(path, 'label', options) as AsyncIterable<LabelRecord>;
}

function openStream(path: string, onBytes?: (bytes: number) => void) {
  const stream = createReadStream(path);
  if (onBytes) {
    let bytes = 0;
    stream.on('data', (chunk) => {
      bytes += chunk.length;
      onBytes(bytes);
    });
  }
  return stream;
}

async function* readRecords(
  path: string,
  kind: 'prediction' | 'label',
  options: ReadOptions,
): AsyncGenerator<PredictionRecord | LabelRecord> {
  await inputSize(path);
  if (options.format === 'jsonl') yield* readJsonl(path, kind, options.onBytes);
  else yield* readCsv(path, kind, options.onBytes);
}

function readJsonl(path: string, kind: 'prediction' | 'label', onBytes?: (bytes: number) => void) {
  const convert: (value: unknown) => PredictionRecord | LabelRecord = kind === 'prediction' ? toPredictionRecord : toLabelRecord;
  return jsonLines(path, convert, onBytes);
}

/**
 * The values of a JSON Lines file, one a line, lazily; blank lines are skipped. `convert` turns
 * a parsed line into the value (its error's message becomes the InputError's, with the line).
 */
export async function* jsonLines<T>(path: string, convert: (value: unknown, line: number) => T, onBytes?: (bytes: number) => void): AsyncGenerator<T> {
  const lines = createInterface({ input: openStream(path, onBytes), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new InputError(path, line, `not valid JSON (${(error as Error).message})`);
      }
      try {
        yield convert(value, line);
      } catch (error) {
        throw new InputError(path, line, (error as Error).message);
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(path, line || null, `cannot read: ${(error as Error).message}`);
  } finally {
    lines.close();
  }
}

async function* readCsv(path: string, kind: 'prediction' | 'label', onBytes?: (bytes: number) => void) {
  const stream = openStream(path, onBytes);
  const parser = stream.pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }));
  let layout: CsvLayout | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
      const line = item.info.lines;
      try {
        if (layout === null) layout = csvLayout(kind, item.record);
        else yield csvRowToRecord(layout, item.record);
      } catch (error) {
        throw new InputError(path, line, (error as Error).message);
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const line = (error as { lines?: number }).lines;
    throw new InputError(path, typeof line === 'number' ? line : null, `invalid CSV: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
}
