// The in-memory join's defining property: what it decides depends on each stream's own order,
// not on how the two streams were interleaved, so a rebuild from the recorded cut reproduces the
// state, and filtering by recorded offsets counts every prediction and outcome exactly once
// across crashes.
import { describe, expect, it } from 'vitest';
import { emptyJoinOutput, PartitionJoin, type JoinOutput, type LabelRead, type PredictionRead } from '../../../shared/join/partition-join.js';
import { createPrng, type Prng } from '../../../shared/sim/prng.js';
import { hashId } from '../../../shared/join/id-hash.js';
import { waitingKey } from '../../../shared/join/waiting-labels.js';

const H = 60_000;
const G = 5_000;
const WINDOW = { labelHorizonMs: H, latenessMs: G };

interface Streams {
  predictions: PredictionRead[];
  labels: LabelRead[];
}

/** A partition's two streams: resent predictions, unlabelled ones, labels without predictions, second labels, slight disorder, a few late events. */
function streams(seed: number, count: number): Streams {
  const rng = createPrng(seed);
  const predictions: PredictionRead[] = [];
  const labels: (LabelRead & { at: number })[] = [];
  let clock = 1_700_000_000_000;
  for (let i = 0; i < count; i++) {
    clock += rng.int(0, 400);
    const id = `p-${seed}-${i}`;
    const eventTime = rng.chance(0.02) ? clock - rng.int(G + 1, 3 * G) : clock - rng.int(0, 2_000);
    const regression = rng.chance(0.2);
    const prediction = (offsetless: boolean): Omit<PredictionRead, 'offset'> => ({
      id,
      eventTime: offsetless ? eventTime + rng.int(0, 3_000) : eventTime,
      version: rng.int(0, 1),
      predictedClass: regression ? -1 : rng.int(0, 2),
      predictedValue: regression ? rng.normal(0, 1) : 0,
      probabilities: regression || rng.chance(0.5) ? null : { a: 0.25, b: 0.75 },
    });
    predictions.push({ offset: predictions.length, ...prediction(false) });
    if (rng.chance(0.05)) predictions.push({ offset: predictions.length, ...prediction(true) });
    const labelCount = rng.chance(0.15) ? 0 : rng.chance(0.05) ? 2 : 1;
    for (let k = 0; k < labelCount; k++) {
      const delay = rng.int(0, 0.9 * H);
      const truth = regression ? { trueClass: null, trueValue: rng.normal(0, 1) } : { trueClass: String(rng.int(0, 2)), trueValue: null };
      // Half published as the truth becomes known, half right after their prediction (with the truth's later time).
      const at = rng.chance(0.5) ? eventTime + delay + rng.int(0, 1_000) : eventTime + rng.int(0, 500);
      labels.push({ at, offset: -1, predictionId: id, eventTime: eventTime + delay, ...truth, raw: raw(id) });
    }
  }
  // Labels whose prediction never comes.
  for (let i = 0; i < count / 20; i++) {
    const t = 1_700_000_000_000 + rng.int(0, count * 200);
    labels.push({ at: t, offset: -1, predictionId: `orphan-${seed}-${i}`, eventTime: t, trueClass: '1', trueValue: null, raw: raw(`orphan-${i}`) });
  }
  labels.sort((a, b) => a.at - b.at);
  return { predictions, labels: labels.map(({ at: _at, ...l }, offset) => ({ ...l, offset })) };
}

function raw(id: string): LabelRead['raw'] {
  return { topic: 'labels', partition: 0, offset: 0, value: Buffer.from(id), headers: {} };
}

type Batch = { kind: 'predictions'; items: PredictionRead[] } | { kind: 'labels'; items: LabelRead[] };

interface Offsets {
  predictions: number;
  labels: number;
}

/**
 * The two streams from the given offsets on, cut into batches interleaved at random. Up to
 * `replayed` (what Redis recorded), both streams are replayed before anything newer is read, as
 * the pipeline does: a new event on one stream waits until the other's replay is done.
 */
function* interleave(rng: Prng, s: Streams, from: Offsets, replayed: Offsets = { predictions: -1, labels: -1 }): Generator<Batch> {
  const start = (list: { offset: number }[], offset: number): number => {
    const at = list.findIndex((x) => x.offset >= offset);
    return at < 0 ? list.length : at;
  };
  let p = start(s.predictions, from.predictions);
  let l = start(s.labels, from.labels);
  const replayEnd = { p: start(s.predictions, replayed.predictions + 1), l: start(s.labels, replayed.labels + 1) };
  while (p < s.predictions.length || l < s.labels.length) {
    const replaying = p < replayEnd.p || l < replayEnd.l;
    const canP = p < (replaying ? replayEnd.p : s.predictions.length);
    const canL = l < (replaying ? replayEnd.l : s.labels.length);
    const takePredictions = canP && (!canL || rng.chance(0.5));
    const size = rng.int(1, 60);
    if (takePredictions) {
      const end = Math.min(p + size, replaying ? replayEnd.p : s.predictions.length);
      yield { kind: 'predictions', items: s.predictions.slice(p, end) };
      p = end;
    } else {
      const end = Math.min(l + size, replaying ? replayEnd.l : s.labels.length);
      yield { kind: 'labels', items: s.labels.slice(l, end) };
      l = end;
    }
  }
}

function read(join: PartitionJoin, batch: Batch, out: JoinOutput): void {
  if (batch.kind === 'predictions') for (const p of batch.items) join.readPrediction(p, out);
  else for (const l of batch.items) join.readLabel(l, out);
  join.evictUnreachable();
}

/** Redis's part: the recorded offsets of both streams and what was counted under them. */
class Recorded {
  predictions = -1;
  labels = -1;
  readonly counted = new Map<number, number>();
  readonly joined = new Map<string, number>();
  readonly dead = new Map<number, number>();

  apply(batch: Batch, out: JoinOutput): void {
    const old = (a: number, b: number): boolean => a <= this.predictions && b <= this.labels;
    for (const c of out.counted) if (c.offset > this.predictions) bump(this.counted, c.offset);
    for (const j of out.joined) if (!old(j.predictionOffset, j.labelOffset)) bump(this.joined, `${j.predictionOffset}/${j.labelOffset}`);
    for (const d of out.dead) if (!old(d.predictionOffset, d.labelOffset)) bump(this.dead, d.labelOffset);
    const last = batch.items.at(-1)!.offset;
    if (batch.kind === 'predictions') this.predictions = Math.max(this.predictions, last);
    else this.labels = Math.max(this.labels, last);
  }
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function runWhole(s: Streams, seed: number): { recorded: Recorded; join: PartitionJoin } {
  const join = new PartitionJoin(WINDOW);
  const recorded = new Recorded();
  for (const batch of interleave(createPrng(seed), s, { predictions: 0, labels: 0 })) {
    const out = emptyJoinOutput();
    read(join, batch, out);
    recorded.apply(batch, out);
  }
  return { recorded, join };
}

describe('PartitionJoin', () => {
  it('decides the same joins, counts and dead letters whatever the interleaving', () => {
    const s = streams(1, 3_000);
    const first = runWhole(s, 11).recorded;
    for (const seed of [12, 13, 14]) {
      const other = runWhole(s, seed).recorded;
      expect(other.joined).toEqual(first.joined);
      expect(other.counted).toEqual(first.counted);
      expect(new Set(other.dead.keys())).toEqual(new Set(first.dead.keys()));
    }
    // The scenario exercises every rule: joins, duplicates left out, dead letters of each kind.
    expect(first.joined.size).toBeGreaterThan(2_000);
    expect(first.counted.size).toBeLessThan(s.predictions.length);
    expect(first.dead.size).toBeGreaterThan(100);
  });

  it('rebuilt from its recorded cut in another interleaving, reaches the same state', () => {
    const s = streams(2, 4_000);
    const rng = createPrng(21);
    const live = new PartitionJoin(WINDOW);
    let batches = 0;
    for (const batch of interleave(rng, s, { predictions: 0, labels: 0 })) {
      read(live, batch, emptyJoinOutput());
      if (++batches === 60) break;
    }
    const view = live.view();
    const cut = live.rebuildFrom();
    expect(cut.predictions).toBeGreaterThan(0);
    expect(cut.labels).toBeGreaterThan(0);

    const rebuilt = new PartitionJoin(WINDOW);
    const upTo: Streams = {
      predictions: s.predictions.filter((p) => p.offset < view.nextPrediction),
      labels: s.labels.filter((l) => l.offset < view.nextLabel),
    };
    for (const batch of interleave(createPrng(22), upTo, { predictions: cut.predictions!, labels: cut.labels! })) read(rebuilt, batch, emptyJoinOutput());
    expect(rebuilt.view()).toEqual(view);
    expect(view.pending.length).toBeGreaterThan(50);
    expect(view.pending.some((p) => p.joined)).toBe(true);
  });

  it.each([3, 4, 5, 6])('counts every prediction and outcome exactly once across crashes and rebuilds (seed %i)', (seed) => {
    const s = streams(seed, 6_000);
    const expected = runWhole(s, 10 * seed + 1).recorded;
    const rng = createPrng(10 * seed + 2);
    let crashes = 0;
    const recorded = new Recorded();
    let from = { predictions: 0, labels: 0 };
    for (let crash = 0; crash < 6; crash++) {
      const join = new PartitionJoin(WINDOW);
      let checkpoint = from;
      let handled = 0;
      const crashAfter = rng.int(10, 80);
      let done = true;
      for (const batch of interleave(rng, s, from, { predictions: recorded.predictions, labels: recorded.labels })) {
        const out = emptyJoinOutput();
        read(join, batch, out);
        // A crash between reading a batch and applying it loses the batch's effects.
        if (handled === crashAfter) {
          done = false;
          break;
        }
        recorded.apply(batch, out);
        // The progress record: where a rebuild starts, never past what Redis recorded.
        const cut = join.rebuildFrom();
        checkpoint = {
          predictions: Math.min(cut.predictions ?? from.predictions, recorded.predictions + 1),
          labels: Math.min(cut.labels ?? from.labels, recorded.labels + 1),
        };
        handled += 1;
      }
      if (done) break;
      crashes += 1;
      from = checkpoint;
    }
    // The last incarnation runs to the end.
    const join = new PartitionJoin(WINDOW);
    for (const batch of interleave(rng, s, from, { predictions: recorded.predictions, labels: recorded.labels })) {
      const out = emptyJoinOutput();
      read(join, batch, out);
      recorded.apply(batch, out);
    }
    expect(recorded.counted).toEqual(expected.counted);
    expect(recorded.joined).toEqual(expected.joined);
    expect([...recorded.joined.values()].every((n) => n === 1)).toBe(true);
    // Dead letters are at least once: every one is there, repeats only from replays.
    for (const offset of expected.dead.keys()) expect(recorded.dead.get(offset) ?? 0).toBeGreaterThanOrEqual(1);
    expect(crashes).toBeGreaterThanOrEqual(3);
  });

  it('keeps a compact entry per pending prediction', () => {
    const join = new PartitionJoin(WINDOW);
    const out = emptyJoinOutput();
    const count = 100_000;
    for (let i = 0; i < count; i++) {
      join.readPrediction({ offset: i, id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, eventTime: 1_700_000_000_000 + i, version: 0, predictedClass: 1, predictedValue: 0, probabilities: null }, out);
    }
    expect(join.pendingCount).toBe(count);
    expect(join.bytes / count).toBe(59);
    // The columns double as they grow: at most twice that allocated.
    expect(join.allocatedBytes / count).toBeLessThanOrEqual(2 * 59);
  });

  it('a waiting label keeps the consumed slice through two batches, then holds its own copy of the bytes', () => {
    const join = new PartitionJoin(WINDOW);
    const out = emptyJoinOutput();
    const t = 1_700_000_000_000;
    // Two labels sliced out of one fetched response, as kafkajs hands them over.
    // Buffer.alloc: not a slice of Node's shared pool, whose ArrayBuffer a copy may share too.
    const response = Buffer.alloc(15);
    response.write('label-a|label-b');
    const sliced = (offset: number, from: number, to: number): LabelRead['raw'] => ({ topic: 'labels', partition: 0, offset, value: response.subarray(from, to), headers: { 'dw-schema': response.subarray(0, 4) } });
    join.readLabel({ offset: 0, predictionId: 'a', eventTime: t, trueClass: '1', trueValue: null, raw: sliced(0, 0, 7) }, out);
    join.readLabel({ offset: 1, predictionId: 'b', eventTime: t, trueClass: '1', trueValue: null, raw: sliced(1, 8, 15) }, out);
    expect(join.waitingCount).toBe(2);
    join.evictUnreachable(); // the labels batch ended
    // Label a's prediction comes in the next batch: it joins holding the slice.
    join.readPrediction({ offset: 0, id: 'a', eventTime: t, version: 0, predictedClass: 1, predictedValue: 0, probabilities: null }, out);
    expect(out.joined).toHaveLength(1);
    expect(out.joined[0]!.label.value!.buffer).toBe(response.buffer);
    join.evictUnreachable(); // the predictions batch ended: b waited through two batches
    // b's prediction comes later: its label holds a copy, equal in bytes, not the response.
    join.readPrediction({ offset: 1, id: 'b', eventTime: t, version: 0, predictedClass: 1, predictedValue: 0, probabilities: null }, out);
    expect(out.joined).toHaveLength(2);
    const copied = out.joined[1]!.label;
    expect(copied.value!.toString()).toBe('label-b');
    expect(copied.value!.buffer).not.toBe(response.buffer);
    expect(copied.headers['dw-schema']!.toString()).toBe('labe');
    expect(copied.headers['dw-schema']!.buffer).not.toBe(response.buffer);
  });

  it('a prediction joins the first waiting label of its id that fits, later ones stay waiting in offset order', () => {
    const join = new PartitionJoin(WINDOW);
    const out = emptyJoinOutput();
    const t = 1_700_000_000_000;
    join.readLabel({ offset: 0, predictionId: 'a', eventTime: t, trueClass: null, trueValue: 1.5, raw: raw('a0') }, out);
    join.readLabel({ offset: 1, predictionId: 'a', eventTime: t, trueClass: '1', trueValue: null, raw: raw('a1') }, out);
    join.readLabel({ offset: 2, predictionId: 'a', eventTime: t, trueClass: '0', trueValue: null, raw: raw('a2') }, out);
    // A classifier's prediction: the regression label (offset 0) does not fit, offset 1 does.
    join.readPrediction({ offset: 0, id: 'a', eventTime: t, version: 0, predictedClass: 1, predictedValue: 0, probabilities: null }, out);
    expect(out.joined.map((j) => j.labelOffset)).toEqual([1]);
    expect(join.view().waiting).toEqual([0, 2]);
  });

  it('labels of two ids whose hashes share a waiting key wait in one chain, and each joins only its own prediction', () => {
    const [first, second] = idsSharingAWaitingKey();
    const join = new PartitionJoin(WINDOW);
    const out = emptyJoinOutput();
    const t = 1_700_000_000_000;
    join.readLabel({ offset: 0, predictionId: first, eventTime: t, trueClass: '1', trueValue: null, raw: raw(first) }, out);
    join.readLabel({ offset: 1, predictionId: second, eventTime: t, trueClass: '0', trueValue: null, raw: raw(second) }, out);
    // The second id's prediction comes first: it passes over the first id's label, ahead of its own in the chain.
    join.readPrediction({ offset: 0, id: second, eventTime: t, version: 0, predictedClass: 0, predictedValue: 0, probabilities: null }, out);
    expect(out.joined.map((j) => [j.predictionOffset, j.labelOffset, j.trueClass])).toEqual([[0, 1, '0']]);
    expect(join.view().waiting).toEqual([0]);
    join.readPrediction({ offset: 1, id: first, eventTime: t, version: 0, predictedClass: 1, predictedValue: 0, probabilities: null }, out);
    expect(out.joined.map((j) => [j.predictionOffset, j.labelOffset, j.trueClass])).toEqual([
      [0, 1, '0'],
      [1, 0, '1'],
    ]);
    expect(join.view().waiting).toEqual([]);
  });
});

/** Two different ids whose hashes give the same waiting key (a birthday search over 2^30 keys). */
function idsSharingAWaitingKey(): [string, string] {
  const seen = new Map<number, string>();
  const hash = new Int32Array(2);
  for (let i = 0; ; i++) {
    const id = `collide-${i}`;
    const key = waitingKey(hashId(id, hash)[0]!);
    const other = seen.get(key);
    if (other !== undefined) return [other, id];
    seen.set(key, id);
  }
}
