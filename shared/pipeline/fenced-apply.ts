// Sends one batch's items for one model through an offset-fenced script, exactly once.
// A reply of "not applied" carries the offset Redis recorded: the items up to it were
// applied by an earlier delivery (with other batch boundaries), so only the tail after it
// is sent again. See shared/store/apply-once.ts for why the first offset matters.

export interface FencedReply {
  applied: boolean;
  recordedOffset: number;
}

export interface FencedOutcome<R> {
  /** The reply of the call that applied, or null when every item was applied before. */
  reply: R | null;
  applied: number;
  skipped: number;
}

export async function applyFenced<T, R extends FencedReply>(
  items: readonly T[],
  offsetOf: (item: T) => number,
  send: (items: readonly T[], firstOffset: number) => Promise<R>,
): Promise<FencedOutcome<R>> {
  let remaining = items;
  for (;;) {
    const first = remaining[0];
    if (first === undefined) return { reply: null, applied: 0, skipped: items.length };
    const reply = await send(remaining, offsetOf(first));
    if (reply.applied) return { reply, applied: remaining.length, skipped: items.length - remaining.length };
    const tail = remaining.filter((item) => offsetOf(item) > reply.recordedOffset);
    if (tail.length === remaining.length) {
      throw new Error(`state refused items from offset ${offsetOf(first)} though it recorded ${reply.recordedOffset}`);
    }
    remaining = tail;
  }
}

/** The batch reached its partition's end: the partition may go idle rather than lag. */
export function caughtUp(batch: { lastOffset: number; highWatermark?: number }): boolean {
  return batch.highWatermark !== undefined && batch.lastOffset + 1 >= batch.highWatermark;
}
