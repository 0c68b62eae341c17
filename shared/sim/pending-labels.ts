// Labels waiting for their event time, ordered by (time, prediction index): a binary min-heap.
// Both simulators deliver labels through it, so ties resolve the same way everywhere.
import type { LabelRecord } from '../sdk/records.js';

interface Pending {
  time: number;
  index: number;
  label: LabelRecord;
}

export class PendingLabels {
  private readonly items: Pending[] = [];

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items[0]?.time ?? Infinity;
  }

  push(time: number, index: number, label: LabelRecord): void {
    const items = this.items;
    items.push({ time, index, label });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): LabelRecord {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && this.less(left, smallest)) smallest = left;
        if (right < items.length && this.less(right, smallest)) smallest = right;
        if (smallest === i) break;
        [items[i], items[smallest]] = [items[smallest]!, items[i]!];
        i = smallest;
      }
    }
    return top.label;
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a]!;
    const y = this.items[b]!;
    return x.time < y.time || (x.time === y.time && x.index < y.index);
  }
}
