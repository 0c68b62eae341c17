// Where each event's Avro schema lives. schemas/*.avsc is the only definition of an event;
// schemas/history/ keeps every earlier version so data written with it stays readable.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const EVENT_SCHEMA_FILES = {
  prediction: 'prediction.avsc',
  label: 'label.avsc',
  alert: 'alert.avsc',
  model: 'model.avsc',
  metricsSnapshot: 'metrics-snapshot.avsc',
  deadLetter: 'dead-letter.avsc',
  incident: 'incident.avsc',
} as const;

export type EventType = keyof typeof EVENT_SCHEMA_FILES;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMA_FILES) as EventType[];

/** schemas/ at the package root: two levels up from shared/codec in sources and in dist/. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export function readSchema(file: string): unknown {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as unknown;
}

/** Earlier versions of an event's schema: history/<base>.v<N>.avsc, oldest first. */
export function readHistoricalSchemas(type: EventType): unknown[] {
  const dir = join(SCHEMA_DIR, 'history');
  if (!existsSync(dir)) return [];
  const base = EVENT_SCHEMA_FILES[type].replace(/\.avsc$/, '');
  const pattern = new RegExp(`^${base}\\.v(\\d+)\\.avsc$`);
  return readdirSync(dir)
    .map((file) => ({ file, version: Number(pattern.exec(file)?.[1] ?? NaN) }))
    .filter((entry) => Number.isFinite(entry.version))
    .sort((a, b) => a.version - b.version)
    .map((entry) => readSchema(join('history', entry.file)));
}
