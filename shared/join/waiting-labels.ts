// Labels read before their prediction, waiting for it: by id (in offset order, the join takes
// the first that fits) and in a min-heap by expiry time, so the labels whose prediction can no
// longer come are found without a scan.
import type { RawMessage } from '../monitor-state/types.js';

export interface WaitingLabel {
  offset: number;
  predictionId: string;
  eventTime: number;
  trueClass: string | null;
  trueValue: number | null;
  /** Kept for the dead-letter topic if no prediction ever comes. */
  raw: RawMessage;
  /** Joined or expired: still in the heap until it surfaces (lazy deletion). */
  done: boolean;
  /** When the prediction side's watermark passes this, no prediction can join it any more. */
  expiresAfter: number;
}

export class WaitingLabels {
  private readonly byId = new Map<string, WaitingLabel[]>();
  private readonly heap: WaitingLabel[] = [];
  private waiting = 0;
  private rawBytes = 0;

  get size(): number {
    return this.waiting;
  }

  /** Rough bytes: the raw message plus ~200 B of object, array and map entry per label. */
  get bytes(): number {
    return this.rawBytes + 200 * this.waiting;
  }

  add(label: WaitingLabel): void {
    const list = this.byId.get(label.predictionId);
    if (list === undefined) this.byId.set(label.predictionId, [label]);
    else list.push(label);
    this.push(label);
    this.waiting += 1;
    this.rawBytes += label.raw.value.length;
  }

  /** The waiting labels of an id, oldest (smallest offset) first. */
  of(predictionId: string): readonly WaitingLabel[] | undefined {
    return this.byId.get(predictionId);
  }

  /** Takes a label out (joined or expired). */
  remove(label: WaitingLabel): void {
    if (label.done) return;
    label.done = true;
    this.waiting -= 1;
    this.rawBytes -= label.raw.value.length;
    const list = this.byId.get(label.predictionId)!;
    const at = list.indexOf(label);
    list.splice(at, 1);
    if (list.length === 0) this.byId.delete(label.predictionId);
  }

  /** The waiting label expiring first, or undefined; done ones are dropped on the way. */
  peekExpiring(): WaitingLabel | undefined {
    while (this.heap.length > 0 && this.heap[0]!.done) this.pop();
    return this.heap[0];
  }

  /** Every waiting label, oldest offset first (for state comparisons and tests). */
  all(): WaitingLabel[] {
    return [...this.byId.values()].flat().sort((a, b) => a.offset - b.offset);
  }

  private push(label: WaitingLabel): void {
    const heap = this.heap;
    heap.push(label);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && earlier(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && earlier(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

function earlier(a: WaitingLabel, b: WaitingLabel): boolean {
  return a.expiresAfter < b.expiresAfter || (a.expiresAfter === b.expiresAfter && a.offset < b.offset);
}
