// The mark of a re-sent message (issue 9). When Kafka did not confirm a publish, the SDK sends
// the unconfirmed messages again, and one of them may already be in the topic (only its answer
// was lost). Every copy the SDK re-sends carries this header, holding the time of the call's
// first send in ms, and the same Kafka timestamp (CreateTime) as the first copy; the drift
// service uses both to recognise a copy whose original is already in the partition
// (shared/pipeline/resent-duplicates.ts). Defined here, once, for both sides.

/** Header of a re-sent message: the decimal ms of the first send of the call it belongs to. */
export const RESENT_HEADER = 'dw-resent';

/** The header's value for a call first sent at `firstSendMs`. */
export function resentHeaderValue(firstSendMs: number): string {
  return String(firstSendMs);
}

/** What a consumed message's headers say about it being a re-send. */
export type ResentMark = { kind: 'none' } | { kind: 'resent'; since: number } | { kind: 'malformed'; raw: string };

const NONE: ResentMark = { kind: 'none' };

/**
 * Reads the header: absent, a first-send time (a non-negative integer of ms, as the SDK writes
 * it), or malformed (anything else: another producer's bytes, which the caller must not trust).
 */
export function readResentMark(headers: Readonly<Record<string, Buffer | string | undefined>>): ResentMark {
  const value = headers[RESENT_HEADER];
  if (value === undefined) return NONE;
  const raw = typeof value === 'string' ? value : value.toString('latin1');
  if (!/^\d{1,16}$/.test(raw)) return { kind: 'malformed', raw: raw.slice(0, 40) };
  const since = Number(raw);
  return Number.isSafeInteger(since) ? { kind: 'resent', since } : { kind: 'malformed', raw };
}
