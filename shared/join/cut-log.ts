// Where a rebuild of one stream of a partition's join may start: samples of (offset, watermark
// before it), taken as the stream's watermark rises. `cutBefore(T)` is the last sampled offset
// before which every event of the stream was at or below T in event time, so nothing read
// before it can matter to an event newer than T plus the join's reach (see partition-join.ts).

interface Sample {
  offset: number;
  /** The stream's watermark (max event time) over everything before `offset`. */
  watermarkBefore: number;
}

export class CutLog {
  private readonly samples: Sample[] = [];
  private lastSampled = -Infinity;

  /** `start`: the first offset this stream's join state was built from. */
  constructor(
    start: number,
    private readonly stepMs: number,
  ) {
    this.samples.push({ offset: start, watermarkBefore: -Infinity });
  }

  /** Called before an event at `offset` is read, with the watermark over every event before it. */
  note(offset: number, watermarkBefore: number): void {
    if (watermarkBefore < this.lastSampled + this.stepMs) return;
    this.lastSampled = watermarkBefore;
    this.samples.push({ offset, watermarkBefore });
  }

  /** The last sampled offset whose every earlier event is at or below `threshold`; older samples are dropped. */
  cutBefore(threshold: number): number {
    let keep = 0;
    while (keep + 1 < this.samples.length && this.samples[keep + 1]!.watermarkBefore <= threshold) keep += 1;
    if (keep > 0) this.samples.splice(0, keep);
    return this.samples[0]!.offset;
  }
}
