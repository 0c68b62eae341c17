/**
 * Flat counter records: the wire form of every counter-like window state.
 *
 * A Redis window bucket is a hash whose fields are incremented (HINCRBY / HINCRBYFLOAT)
 * by a Lua script, so a state must be expressible as `field -> number` where adding two
 * records field by field is the same as merging the states. Field names are segments
 * joined by `|`; labels inside a segment escape `%` as `%25` and `|` as `%7C`, so any
 * label (including "", "a|b", "%7C") round-trips and no two fields collide.
 *
 * Fields whose values are real-valued sums start with `~`; all others hold integer
 * counts. A store may use HINCRBY for the latter and must use HINCRBYFLOAT for the former
 * (HINCRBYFLOAT on every field is also correct, since it keeps integers exact).
 */

export type Counters = Record<string, number>;

/** What a store hands back: HGETALL yields strings, an in-memory store numbers. */
export type CounterInput = Readonly<Record<string, number | string>>;

const FIELD_SEPARATOR = '|';
export const FLOAT_FIELD_PREFIX = '~';

function escapeSegment(segment: string): string {
  // Only the two characters that could make a field ambiguous are rewritten, which keeps
  // ordinary labels readable in redis-cli.
  if (!segment.includes('%') && !segment.includes('|')) return segment;
  return segment.replace(/%/g, '%25').replace(/\|/g, '%7C');
}

function unescapeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  return segment.replace(/%(25|7C)/g, (_m, code: string) => (code === '25' ? '%' : '|'));
}

export function joinField(...segments: readonly string[]): string {
  return segments.map(escapeSegment).join(FIELD_SEPARATOR);
}

/**
 * Split fields, remembered: an evaluation reads the same few hundred field names at every
 * window end and horizon (3 % of the performance service's CPU went to splitting them again).
 * Bounded, since labels come from events; past the bound it starts over.
 */
const splitFields = new Map<string, readonly string[]>();
const MAX_SPLIT_FIELDS = 100_000;

export function splitField(field: string): readonly string[] {
  let segments = splitFields.get(field);
  if (segments === undefined) {
    segments = Object.freeze(field.split(FIELD_SEPARATOR).map(unescapeSegment));
    if (splitFields.size >= MAX_SPLIT_FIELDS) splitFields.clear();
    splitFields.set(field, segments);
  }
  return segments;
}

export function isFloatCounter(field: string): boolean {
  return field.startsWith(FLOAT_FIELD_PREFIX);
}

/** Adds `sign * delta` into `target` field by field: the in-memory twin of applying a
 * bucket delta with HINCRBY(FLOAT). Fields are kept when they reach 0, as Redis does. */
export function addCounters(target: Counters, delta: CounterInput, sign: 1 | -1 = 1): Counters {
  for (const [field, raw] of Object.entries(delta)) {
    target[field] = (target[field] ?? 0) + sign * toNumber(field, raw);
  }
  return target;
}

export function toNumber(field: string, raw: number | string): number {
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(value)) throw new RangeError(`counter ${field} is not a finite number: ${raw}`);
  return value;
}
