// Binary-safe framing of the values the monitor state stores as opaque strings (pending
// predictions, early labels, outbox entries). Each field is `<byte length>:<bytes>`, so a
// Lua script can walk a value with string.find/string.sub (lib-framing.lua) without a
// serialisation library, and Avro bytes inside stay intact whatever they contain.
import type { OutboxEntry, OutcomeTemplate, PendingPrediction, RawMessage } from './types.js';

export type Frame = string | Buffer;

// Sized first and written into one allocation: a pending prediction has ~50 fields, and
// a Buffer per field and per length prefix made framing the performance service's largest
// cost (allocation and GC) at ~23k predictions/s.
export function frame(fields: readonly Frame[]): Buffer {
  const lengths = new Array<number>(fields.length);
  let total = 0;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as Frame;
    const length = typeof field === 'string' ? Buffer.byteLength(field, 'utf8') : field.length;
    lengths[i] = length;
    total += String(length).length + 1 + length;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as Frame;
    const length = lengths[i] as number;
    pos += out.write(`${length}:`, pos, 'latin1');
    if (typeof field === 'string') out.write(field, pos, length, 'utf8');
    else field.copy(out, pos);
    pos += length;
  }
  return out;
}

/** Splits a framed value back into its fields; throws on a truncated or malformed value. */
export function unframe(value: Buffer): Buffer[] {
  const fields: Buffer[] = [];
  let pos = 0;
  while (pos < value.length) {
    const colon = value.indexOf(0x3a, pos);
    if (colon < 0) throw new RangeError(`framed value: missing length separator at byte ${pos}`);
    const lengthText = value.toString('latin1', pos, colon);
    if (!/^\d+$/.test(lengthText)) throw new RangeError(`framed value: bad length "${lengthText}" at byte ${pos}`);
    const end = colon + 1 + Number(lengthText);
    if (end > value.length) throw new RangeError(`framed value: field at byte ${pos} runs past the end`);
    fields.push(value.subarray(colon + 1, end));
    pos = end;
  }
  return fields;
}

function headerFrames(headers: Record<string, Buffer>): Frame[] {
  const names = Object.keys(headers);
  const out: Frame[] = [String(names.length)];
  for (const name of names) out.push(name, headers[name] as Buffer);
  return out;
}

function readHeaders(fields: Buffer[], start: number): { headers: Record<string, Buffer>; next: number } {
  const count = Number((fields[start] ?? Buffer.alloc(0)).toString());
  const headers: Record<string, Buffer> = {};
  let i = start + 1;
  for (let h = 0; h < count; h += 1) {
    const name = fields[i];
    const value = fields[i + 1];
    if (name === undefined || value === undefined) throw new RangeError('framed headers truncated');
    headers[name.toString('utf8')] = Buffer.from(value);
    i += 2;
  }
  return { headers, next: i };
}

export function encodeRawMessage(raw: RawMessage): Buffer {
  return frame([raw.sourceTopic, String(raw.partition), String(raw.offset), raw.value, ...headerFrames(raw.headers)]);
}

export function decodeRawMessage(value: Buffer): RawMessage {
  const fields = unframe(value);
  const [topic, partition, offset, bytes] = fields;
  if (topic === undefined || partition === undefined || offset === undefined || bytes === undefined) {
    throw new RangeError('framed raw message truncated');
  }
  const { headers } = readHeaders(fields, 4);
  return {
    sourceTopic: topic.toString('utf8'),
    partition: Number(partition.toString()),
    offset: Number(offset.toString()),
    value: Buffer.from(bytes),
    headers,
  };
}

export function encodeOutboxEntry(entry: OutboxEntry): Buffer {
  return frame([entry.topic, entry.key, entry.value, ...headerFrames(entry.headers)]);
}

export function decodeOutboxEntry(value: Buffer): OutboxEntry {
  const fields = unframe(value);
  const [topic, key, bytes] = fields;
  if (topic === undefined || key === undefined || bytes === undefined) throw new RangeError('framed outbox entry truncated');
  const { headers } = readHeaders(fields, 3);
  return { topic: topic.toString('utf8'), key: key.toString('utf8'), value: Buffer.from(bytes), headers };
}

/**
 * An early label as lib-framing.lua reads it: truth presence flags and values, then the raw
 * message as one framed field (moved as is to the expired-labels outbox).
 */
export function encodeEarlyLabel(trueClass: string | null, trueValue: number | null, raw: RawMessage): Buffer {
  return frame([
    trueClass === null ? '0' : '1',
    trueClass ?? '',
    trueValue === null ? '0' : '1',
    trueValue === null ? '' : String(trueValue),
    encodeRawMessage(raw),
  ]);
}

/**
 * A counter list framed as text (count, then field and value pairs): one string per class
 * instead of a Buffer write per counter, the performance service's main allocation cost.
 * Lengths are UTF-8 byte lengths, as frame() writes the string.
 */
function framedCounters(counters: Record<string, number>): string {
  const fields = Object.keys(counters);
  const count = String(fields.length);
  let out = `${count.length}:${count}`;
  for (const field of fields) {
    const value = String(counters[field]);
    out += `${Buffer.byteLength(field, 'utf8')}:${field}${value.length}:${value}`;
  }
  return out;
}

// Each class's counters are one nested frame, so the join skips a class it does not need
// with one read instead of two per counter.
function templateFrames(outcome: OutcomeTemplate): Frame[] {
  if (outcome.kind === 'regression') return ['r', String(outcome.predicted)];
  const classes = Object.keys(outcome.byClass);
  const out: Frame[] = ['c', outcome.predictedClass, String(classes.length)];
  for (const trueClass of classes) out.push(trueClass, framedCounters(outcome.byClass[trueClass] as Record<string, number>));
  out.push(framedCounters(outcome.fallback));
  return out;
}

/**
 * The `pp:<id>` value: bucket, families, outcome template, then an empty field. Releases
 * before the retrainer read the log kept the prediction's bytes there for the joined-examples
 * stream; the join no longer reads it (so it still reads their keys), and the empty field
 * keeps keys written now readable by such a release after a rollback (one label horizon).
 */
export function encodePendingPrediction(prediction: PendingPrediction): Buffer {
  return frame([String(prediction.bucketStart), prediction.family, prediction.coverageFamily, ...templateFrames(prediction.outcome), '']);
}
