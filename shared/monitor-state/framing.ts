// Binary-safe framing of the values the monitor state stores as opaque strings (outbox
// entries). Each field is `<byte length>:<bytes>`, so Avro bytes inside stay intact whatever
// they contain, and a Lua script could walk a value with string.find/string.sub without a
// serialisation library (commit-evaluation.lua only stores the framed entries it is given).
import type { OutboxEntry } from './types.js';

export type Frame = string | Buffer;

// Sized first and written into one allocation: a Buffer per field and per length prefix was
// once the performance service's largest cost (allocation and GC).
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
