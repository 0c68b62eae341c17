// Writes prediction and label records in the formats `replay` reads back.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import type { RecordFormat } from './read-records.js';
import { csvLayout, csvLine, LABEL_CSV_HEADER, labelCsvRow, predictionCsvHeader, predictionCsvRow } from './records-csv.js';

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function jsonRecord(record: PredictionRecord | LabelRecord): string {
  const time = record.time instanceof Date ? record.time.getTime() : record.time;
  return JSON.stringify({ ...record, time });
}

export async function writePredictions(path: string, records: readonly PredictionRecord[], format: RecordFormat): Promise<void> {
  if (format === 'jsonl') return writeLines(path, records.map(jsonRecord));
  const header = predictionCsvHeader(records);
  const layout = csvLayout('prediction', header);
  return writeLines(path, [csvLine(header), ...records.map((r) => csvLine(predictionCsvRow(layout, r)))]);
}

export async function writeLabels(path: string, records: readonly LabelRecord[], format: RecordFormat): Promise<void> {
  if (format === 'jsonl') return writeLines(path, records.map(jsonRecord));
  return writeLines(path, [csvLine(LABEL_CSV_HEADER), ...records.map((r) => csvLine(labelCsvRow(r)))]);
}
