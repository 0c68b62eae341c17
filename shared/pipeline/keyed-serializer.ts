// Runs async work one at a time per key, and work of different keys side by side.
//
// The monitors consume several partitions at once (DW_PARTITIONS_CONCURRENTLY), and a model's
// events are spread over every partition, so two batches may carry the same model. The pipelines
// keep per-model state in memory between awaits (the drift service's references while a sample
// completes, the classes seen, the evaluation's starting end read from the apply's reply); a
// model's apply and evaluation therefore run under its key here, while other models, decoding,
// dead letters and progress records of other partitions overlap.
//
// Work runs in the order it was asked for, a failure does not stop the work queued behind it,
// and a key whose queue is empty is dropped, so the map never grows with the number of models.

export class KeyedSerializer {
  /** key → the settled end of the last work queued for it. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Keys with work running or waiting. */
  get size(): number {
    return this.tails.size;
  }

  /** Whether work for `key` is running or waiting. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Runs `work` once every earlier work of `key` settled; resolves or rejects as `work` does. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    // Without a queue the work starts now (no extra tick on the hot path).
    const result = previous === undefined ? start(work) : previous.then(work);
    const tail = result.then(ignore, ignore);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

function start<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error);
  }
}

function ignore(): void {}
