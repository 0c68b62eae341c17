// Labels read before their prediction, waiting for it: by the id's hash (in offset order, the
// join takes the first of its id that fits) and in arrival order, where expired ones are taken from the front. A label
// behind one that has not expired yet waits for it to go: expiring late is harmless (no
// prediction the rules let in can join it any more, and its dead letter is at least once), and
// costs O(1) where a heap by expiry time cost 7 % of the service's CPU in a catch-up.
/** A label's message as consumed (a BusMessage is one), kept for its dead letter. */
export interface LabelMessage {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
}

/** A label as the join reads it. */
export interface LabelRead {
  offset: number;
  predictionId: string;
  eventTime: number;
  trueClass: string | null;
  trueValue: number | null;
  /** Kept for the dead-letter topic if no prediction ever comes. */
  raw: LabelMessage;
}

export interface WaitingLabel extends LabelRead {
  /** Joined or expired: still in the arrival queue until it reaches the front (lazy deletion). */
  done: boolean;
  /** When the prediction side's watermark passes this, no prediction can join it any more. */
  expiresAfter: number;
  /** waitingKey of the prediction id's hash (PartitionJoin hashes every id it reads anyway). */
  key: number;
  /** The next waiting label with the same key (by offset), or null: mostly the same id, rarely another whose hash shares the key. */
  nextOfId: WaitingLabel | null;
}

/**
 * The key labels wait under: 30 bits of the id's hash, a small integer that a Map hashes
 * without reading the id string (a string key cost a pass over every fresh id per lookup).
 * Ids sharing a key share a chain; readers compare the id.
 */
export function waitingKey(hashHalf: number): number {
  return hashHalf & 0x3fffffff;
}

/**
 * A consumed message is a slice of the whole fetched response: a label that waits long must
 * not keep it in memory. Copying every waiting label cost 2 % of the service's CPU in a catch-up,
 * where three labels in four wait for a prediction one batch later; so a label keeps the slice
 * while it waits through the batch that read it and the next one, and gets its own copy only
 * when it waits longer (at most two batches' responses are held per partition).
 */
export class WaitingLabels {
  /** The oldest waiting label of each key; the others follow it through nextOfId. */
  private readonly byKey = new Map<number, WaitingLabel>();
  /** Arrival order from `front`; joined or expired ones stay until they reach the front. */
  private queue: WaitingLabel[] = [];
  private front = 0;
  /** Done labels still in the queue: when they outnumber the waiting ones, the queue is compacted. */
  private doneQueued = 0;
  private waiting = 0;
  private rawBytes = 0;
  /** Labels added since the last batch ended, and in the batch before: still holding the consumed slice. */
  private young: WaitingLabel[] = [];
  private older: WaitingLabel[] = [];

  get size(): number {
    return this.waiting;
  }

  /** Rough bytes: the raw message plus ~200 B of object, array and map entry per label. */
  get bytes(): number {
    return this.rawBytes + 200 * this.waiting;
  }

  add(label: WaitingLabel): void {
    const first = this.byKey.get(label.key);
    if (first === undefined) this.byKey.set(label.key, label);
    else {
      let last = first;
      while (last.nextOfId !== null) last = last.nextOfId;
      last.nextOfId = label;
    }
    this.queue.push(label);
    this.young.push(label);
    this.waiting += 1;
    this.rawBytes += label.raw.value?.length ?? 0;
  }

  /** The oldest (smallest offset) waiting label with this key; the others follow through nextOfId (compare their id). */
  withKey(key: number): WaitingLabel | null {
    return this.byKey.get(key) ?? null;
  }

  /** Takes a label out (joined or expired). */
  remove(label: WaitingLabel): void {
    if (label.done) return;
    label.done = true;
    this.waiting -= 1;
    this.rawBytes -= label.raw.value?.length ?? 0;
    const first = this.byKey.get(label.key)!;
    if (first === label) {
      if (label.nextOfId === null) this.byKey.delete(label.key);
      else this.byKey.set(label.key, label.nextOfId);
    } else {
      let before = first;
      while (before.nextOfId !== label) before = before.nextOfId!;
      before.nextOfId = label.nextOfId;
    }
    label.nextOfId = null;
    this.doneQueued += 1;
    // A label that waits long at the front must not keep every joined one behind it in memory.
    if (this.doneQueued > 1024 && this.doneQueued > this.waiting) {
      this.queue = this.queue.slice(this.front).filter((l) => !l.done);
      this.front = 0;
      this.doneQueued = 0;
    }
  }

  /** A batch of the partition ended: labels still waiting since the batch before get their own copy. */
  batchEnded(): void {
    for (const label of this.older) if (!label.done) label.raw = ownCopy(label.raw);
    this.older = this.young;
    this.young = [];
  }

  /** The oldest waiting label (by arrival), or undefined; done ones are dropped on the way. */
  peekOldest(): WaitingLabel | undefined {
    while (this.front < this.queue.length && this.queue[this.front]!.done) {
      this.front += 1;
      this.doneQueued -= 1;
    }
    // Drop the passed front once it is half the array.
    if (this.front > 1024 && this.front * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.front);
      this.front = 0;
    }
    return this.queue[this.front];
  }

  /** Every waiting label, oldest offset first (for state comparisons and tests). */
  all(): WaitingLabel[] {
    const labels: WaitingLabel[] = [];
    for (const first of this.byKey.values()) for (let l: WaitingLabel | null = first; l !== null; l = l.nextOfId) labels.push(l);
    return labels.sort((a, b) => a.offset - b.offset);
  }
}

/** The last header values copied, by name: a partition's labels mostly carry the same (the schema fingerprint). */
const copiedHeaders = new Map<string, Buffer>();

/** The message with its own copy of the bytes, not a slice of the fetched response. */
function ownCopy(raw: LabelMessage): LabelMessage {
  const headers: Record<string, Buffer | undefined> = {};
  for (const name in raw.headers) {
    const value = raw.headers[name];
    if (value === undefined) {
      headers[name] = undefined;
      continue;
    }
    let copy = copiedHeaders.get(name);
    if (copy === undefined || !copy.equals(value)) {
      copy = Buffer.from(value);
      if (copiedHeaders.size < 64 || copiedHeaders.has(name)) copiedHeaders.set(name, copy);
    }
    headers[name] = copy;
  }
  return { topic: raw.topic, partition: raw.partition, offset: raw.offset, value: raw.value === null ? null : Buffer.from(raw.value), headers };
}
