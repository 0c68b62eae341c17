// The MonitorState contract, one suite run against RedisMonitorState on a real Redis and
// MemoryMonitorState in process, so embedded mode behaves like distributed mode.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BucketDeltas, DriftBatch, EvaluationCommit, MonitorState, PerfDeltaBatch, WindowSettings } from '../../shared/monitor-state/types.js';
import { seededRandom } from '../../shared/stats/window/random.js';
import type { BatchSource } from '../../shared/store/types.js';
import { uniqueName } from '../setup/env.js';

export interface MonitorStateHarness {
  /** A new client on the shared state: two calls give two clients seeing the same data. */
  open(): Promise<MonitorState>;
  dropModel?(model: string): Promise<void>;
  close?(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const BUCKET = 1_000;
const WINDOWS: WindowSettings = { bucketMs: BUCKET, horizonsMs: [5_000, 20_000], retentionMs: 600_000 };

/** Numbers equal to ~1e-9 relative (float window sums carry rounding), integers exactly. */
function expectCountersClose(actual: Record<string, number>, expected: Record<string, number>): void {
  const nonZero = (c: Record<string, number>): string[] => Object.keys(c).filter((k) => Math.abs(c[k] as number) > 1e-9).sort();
  expect(nonZero(actual)).toEqual(nonZero(expected));
  for (const field of nonZero(expected)) {
    const want = expected[field] as number;
    expect(actual[field], field).toBeCloseTo(want, Math.max(0, 9 - Math.ceil(Math.log10(Math.abs(want) + 1))));
  }
}

/**
 * A seeded run of drift applies and window ends for the several-ends tests (issue 8): fresh and
 * late buckets, float sums, integer fields that net to exactly 0 (removed from a window sum), a
 * rebuild every 5 advances landing inside calls, and two horizons read at different cadences.
 * Each round's ends (up to 7) start after the previous round's last end, or sometimes at it.
 */
export const ENDS_SCENARIO = {
  windows: { ...WINDOWS, rebuildEvery: 5 } satisfies WindowSettings,
  closing: ['pred:'],
  families: ['feat:1', 'pred:1', 'dq:1'],
};

export function* endsScenarioRounds(seed: number): Generator<{ offset: number; deltas: BucketDeltas[]; newest: number; ends: { to: number; read: number[] }[] }> {
  const random = seededRandom(seed);
  const { families, windows } = ENDS_SCENARIO;
  const reads = (to: number): number[] => windows.horizonsMs.filter((h) => to % (h === 5_000 ? BUCKET : 4 * BUCKET) === 0);
  let end = 0;
  let newest = T0;
  for (let offset = 1; offset <= 40; offset += 1) {
    newest += BUCKET * (1 + Math.floor(random() * 6));
    const deltas: BucketDeltas[] = [];
    for (let d = 0; d < 2 + Math.floor(random() * 6); d += 1) {
      const late = random() < 0.3 ? Math.floor(random() * 25) * BUCKET : 0;
      const time = Math.max(T0, newest - late);
      const sign = random() < 0.2 ? -1 : 1;
      deltas.push({
        family: families[Math.floor(random() * families.length)] as string,
        bucketStart: Math.floor(time / BUCKET) * BUCKET,
        counters: { [`x|b|${Math.floor(random() * 3)}`]: sign * (1 + Math.floor(random() * 3)), '~x|s': (random() - 0.5) * 1e3 + 1e-7, n: 1 },
      });
    }
    const from = end === 0 ? T0 + 2 * BUCKET : end;
    const count = Math.min(1 + Math.floor(random() * 7), Math.floor((newest - 2 * BUCKET - from) / BUCKET));
    const first = end !== 0 && random() < 0.2 ? end : from + BUCKET;
    const ends = count < 1 ? [] : Array.from({ length: count }, (_, i) => ({ to: first + i * BUCKET, read: reads(first + i * BUCKET) }));
    if (ends.length > 0) end = ends.at(-1)!.to;
    yield { offset, deltas, newest, ends };
  }
}

export function describeMonitorStateContract(label: string, makeHarness: () => Promise<MonitorStateHarness>): void {
  describe(`MonitorState contract: ${label}`, () => {
    let harness: MonitorStateHarness;
    const opened: MonitorState[] = [];
    const models: string[] = [];

    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((state) => state.close()));
    });
    afterAll(async () => {
      for (const model of models) await harness.dropModel?.(model);
      await harness.close?.();
    });

    async function open(): Promise<MonitorState> {
      const state = await harness.open();
      opened.push(state);
      return state;
    }
    function model(name: string): string {
      const m = uniqueName(`ms-${name}`);
      models.push(m);
      return m;
    }
    const src = (offset: number, firstOffset?: number): BatchSource =>
      firstOffset === undefined ? { group: 'g', topic: 'dw.predictions', partition: 0, offset } : { group: 'g', topic: 'dw.predictions', partition: 0, offset, firstOffset };

    function driftBatch(m: string, source: BatchSource, deltas: BucketDeltas[], extra: Partial<DriftBatch> = {}): DriftBatch {
      return { model: m, source, windows: WINDOWS, deltas, maxEventTime: Math.max(T0, ...deltas.map((d) => d.bucketStart)), ...extra };
    }

    describe('offset idempotence', () => {
      it('applies a drift batch once, refuses a replay and a straddling batch with the recorded offset', async () => {
        const state = await open();
        const m = model('drift-once');
        const deltas = (n: number): BucketDeltas[] => [{ family: 'feat:1', bucketStart: T0, counters: { 'x|b|1': n, '~x|s': n / 3 } }];
        const first = await state.applyDriftBatch(driftBatch(m, src(10, 5), deltas(2)));
        expect(first).toMatchObject({ applied: true, recordedOffset: 10, watermark: T0 });
        expect(await state.applyDriftBatch(driftBatch(m, src(10, 5), deltas(2)))).toMatchObject({ applied: false, recordedOffset: 10 });
        expect(await state.applyDriftBatch(driftBatch(m, src(14, 8), deltas(7)))).toMatchObject({ applied: false, recordedOffset: 10 });
        expect(await state.applyDriftBatch(driftBatch(m, src(14, 11), deltas(3)))).toMatchObject({ applied: true, recordedOffset: 14 });
        expect(await state.readBuckets(m, 'feat:1', T0, T0 + BUCKET, BUCKET)).toEqual({ 'x|b|1': 5, '~x|s': 2 / 3 + 3 / 3 });
      });
    });

    describe('running window sums', () => {
      it('equal the bucket sums over [E - h, E) after random applies (late data included) and advances', async () => {
        const state = await open();
        const m = model('windows');
        const random = seededRandom(20_240_601);
        const families = ['feat:1', 'pred:1'];
        const windows: WindowSettings = { ...WINDOWS, rebuildEvery: 7 };
        let offset = 0;
        let end = 0;
        let newest = T0;
        for (let step = 0; step < 120; step += 1) {
          if (random() < 0.3 && newest - 3 * BUCKET > end) {
            // Advance by one to a few buckets, sometimes a jump past the largest horizon.
            const jump = random() < 0.05 ? 25 : 1 + Math.floor(random() * 3);
            const to = Math.min(Math.floor(newest / BUCKET) * BUCKET, (end === 0 ? T0 + 10 * BUCKET : end + jump * BUCKET));
            if (to <= end) continue;
            const input = await state.advance({ model: m, scope: 'drift', windows, to });
            expect(input.advanced).toBe(true);
            end = to;
            for (const family of families) {
              for (const h of windows.horizonsMs) {
                const buckets = await state.readBuckets(m, family, end - h, end, BUCKET);
                expectCountersClose(input.windows[family]?.[h] ?? {}, buckets);
              }
            }
            continue;
          }
          // Mostly fresh data, some of it late (inside and before the current windows).
          newest += Math.floor(random() * 800);
          const deltas: BucketDeltas[] = [];
          for (let d = 0; d < 1 + Math.floor(random() * 4); d += 1) {
            const late = random() < 0.3 ? Math.floor(random() * 30) * BUCKET : 0;
            const time = Math.max(T0, newest - late);
            const family = families[Math.floor(random() * families.length)] as string;
            deltas.push({
              family,
              bucketStart: Math.floor(time / BUCKET) * BUCKET,
              counters: { [`x|b|${Math.floor(random() * 3)}`]: 1 + Math.floor(random() * 4), '~x|s': (random() - 0.5) * 1e3, miss: 1 },
            });
          }
          offset += 1;
          const reply = await state.applyDriftBatch({ ...driftBatch(m, src(offset), deltas), windows, maxEventTime: newest });
          expect(reply).toMatchObject({ applied: true, end });
        }
        expect(end).toBeGreaterThan(T0);
        const final = await state.advance({ model: m, scope: 'drift', windows, to: end });
        expect(final.advanced).toBe(false);
        for (const family of families) {
          for (const h of windows.horizonsMs) expectCountersClose(final.windows[family]?.[h] ?? {}, await state.readBuckets(m, family, end - h, end, BUCKET));
        }
      });

      it('drops window fields that return to exactly 0 and never moves E backwards', async () => {
        const state = await open();
        const m = model('window-zero');
        await state.applyDriftBatch(driftBatch(m, src(1), [{ family: 'feat:1', bucketStart: T0, counters: { a: 2 } }]));
        await state.applyDriftBatch(driftBatch(m, src(2), [{ family: 'feat:1', bucketStart: T0 + 6 * BUCKET, counters: { b: 1 } }]));
        const first = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 2 * BUCKET });
        expect(first.windows['feat:1']?.[5_000]).toEqual({ a: 2 });
        const slid = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 7 * BUCKET });
        expect(slid).toMatchObject({ advanced: true, from: T0 + 2 * BUCKET, end: T0 + 7 * BUCKET });
        expect(slid.windows['feat:1']?.[5_000]).toEqual({ b: 1 });
        expect(slid.windows['feat:1']?.[20_000]).toEqual({ a: 2, b: 1 });
        const back = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 3 * BUCKET });
        expect(back).toMatchObject({ advanced: false, from: T0 + 7 * BUCKET, end: T0 + 7 * BUCKET });
      });
    });

    describe('evaluation read (issue 8)', () => {
      it('returns the horizons asked for, every family, and the closing bucket of the families asked for, while unread sums still slide', async () => {
        const state = await open();
        const m = model('eval-read');
        await state.applyDriftBatch(
          driftBatch(m, src(1), [
            { family: 'feat:1', bucketStart: T0, counters: { a: 1 } },
            { family: 'pred:1', bucketStart: T0 + 3 * BUCKET, counters: { p: 2, '~s': 0.5 } },
            { family: 'pred:2', bucketStart: T0 + 5 * BUCKET, counters: { p: 1 } },
          ]),
        );
        const first = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 4 * BUCKET, read: [20_000], closing: ['pred:'] });
        expect(first).toMatchObject({ advanced: true, end: T0 + 4 * BUCKET, horizons: [20_000] });
        expect(first.windows).toEqual({ 'feat:1': { 20000: { a: 1 } }, 'pred:1': { 20000: { p: 2, '~s': 0.5 } }, 'pred:2': { 20000: {} } });
        expect(first.closing).toEqual({ 'pred:1': { p: 2, '~s': 0.5 }, 'pred:2': {} });

        // Nothing due: the families are still listed (versions are known), no sum is read.
        const quiet = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 6 * BUCKET, read: [] });
        expect(quiet).toMatchObject({ advanced: true, horizons: [], closing: {} });
        expect(quiet.windows).toEqual({ 'feat:1': {}, 'pred:1': {}, 'pred:2': {} });

        // The 5 s sum slid while unread: at T0 + 6 s it holds [T0 + 1 s, T0 + 6 s).
        const all = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 6 * BUCKET, closing: ['pred:'] });
        expect(all).toMatchObject({ advanced: false, horizons: [5_000, 20_000] });
        expect(all.windows).toEqual({
          'feat:1': { 5000: {}, 20000: { a: 1 } },
          'pred:1': { 5000: { p: 2, '~s': 0.5 }, 20000: { p: 2, '~s': 0.5 } },
          'pred:2': { 5000: { p: 1 }, 20000: { p: 1 } },
        });
        expect(all.closing).toEqual({ 'pred:1': {}, 'pred:2': { p: 1 } });

        // The alert and detector states come in the same reply, whatever is read.
        await state.commitEvaluation({ model: m, scope: 'drift', end: T0 + 6 * BUCKET, alertStates: { 'm|1|x': '{"status":"ok"}' }, detectorStates: { '1': '{}' }, outbox: [] });
        expect(await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 6 * BUCKET, read: [] })).toMatchObject({
          alertStates: { 'm|1|x': '{"status":"ok"}' },
          detectorStates: { '1': '{}' },
        });
        await expect(state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 7 * BUCKET, read: [7_000] })).rejects.toThrow(/read horizon 7000 is not one of the horizons/);
        await expect(state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 + 7 * BUCKET, closing: [''] })).rejects.toThrow(/closing family prefix/);
      });
    });

    describe('several ends per call (issue 8)', () => {
      it('advanceEnds returns, and leaves stored, exactly what one advance per end does', async () => {
        const state = await open();
        const one = model('ends-one');
        const many = model('ends-many');
        const { windows, closing, families } = ENDS_SCENARIO;
        let last = 0;
        for (const round of endsScenarioRounds(20_261_202)) {
          for (const m of [one, many]) await state.applyDriftBatch({ ...driftBatch(m, src(round.offset), round.deltas), windows, maxEventTime: round.newest });
          if (round.ends.length === 0) continue;
          const sequential = [];
          for (const { to, read } of round.ends) sequential.push(await state.advance({ model: one, scope: 'drift', windows, to, read, closing }));
          const batched = await state.advanceEnds({ model: many, scope: 'drift', windows, ends: round.ends, closing });
          expect(batched).toEqual(sequential);
          last = round.ends.at(-1)!.to;
        }
        expect(last).toBeGreaterThan(T0 + 20 * BUCKET);
        // What stayed stored is the same too (read with one plain advance each).
        const storedOne = await state.advance({ model: one, scope: 'drift', windows, to: last });
        const storedMany = await state.advance({ model: many, scope: 'drift', windows, to: last });
        expect(storedMany).toEqual(storedOne);
        expect(Object.keys(storedOne.windows).sort()).toEqual([...families].sort());

        await expect(state.advanceEnds({ model: many, scope: 'drift', windows, ends: [{ to: last + 2 * BUCKET }, { to: last + BUCKET }] })).rejects.toThrow(/ends must increase/);
        await expect(state.advanceEnds({ model: many, scope: 'drift', windows, ends: [] })).rejects.toThrow(/at least one end/);
        await expect(state.advanceEnds({ model: many, scope: 'drift', windows, ends: [{ to: last + 1 }] })).rejects.toThrow(/multiple of bucketMs/);
        expect((await state.advance({ model: many, scope: 'drift', windows, to: last })).end).toBe(last);
      });

      it('commitEvaluations commits in order, each fenced as alone, and writes nothing when one is invalid', async () => {
        const state = await open();
        const m = model('commits');
        await state.applyDriftBatch(driftBatch(m, src(1), [{ family: 'feat:1', bucketStart: T0, counters: { a: 1 } }]));
        const E = T0 + 2 * BUCKET;
        await state.advanceEnds({ model: m, scope: 'perf', windows: WINDOWS, ends: [{ to: E }, { to: E + BUCKET }, { to: E + 2 * BUCKET }] });
        const entry = (key: string) => ({ topic: 'alerts', key, value: Buffer.from([0, 0xfe, key.length]), headers: { id: Buffer.from(key) } });
        expect((await state.commitEvaluation({ model: m, scope: 'perf', end: E, alertStates: { a: '0' }, outbox: [entry('e0')] })).committed).toBe(true);

        const invalid: EvaluationCommit[] = [
          { model: m, scope: 'perf', end: E + BUCKET, alertStates: { a: 'bad' }, outbox: [entry('bad')] },
          { model: m, scope: 'perf', end: E + 2 * BUCKET, alertStates: { '~reserved': 'x' }, outbox: [] },
        ];
        await expect(state.commitEvaluations(invalid)).rejects.toThrow(/reserved/);
        await expect(state.commitEvaluations([invalid[0]!, { ...invalid[0]!, model: model('other'), end: E + 2 * BUCKET }])).rejects.toThrow(/one model and scope/);
        await expect(state.commitEvaluations([])).rejects.toThrow(/at least one commit/);
        expect((await state.readOutbox(m, 'perf', 10)).map((e) => e.key)).toEqual(['e0']);

        const reply = await state.commitEvaluations([
          { model: m, scope: 'perf', end: E, alertStates: { a: 'stale' }, detectorStates: { '1': 'stale' }, outbox: [entry('dup')] },
          { model: m, scope: 'perf', end: E + BUCKET, alertStates: { a: '1', b: '1' }, detectorState: '{"legacy":1}', detectorStates: { '1': 'd1' }, outbox: [entry('e1a'), entry('e1b')] },
          { model: m, scope: 'perf', end: E + 2 * BUCKET, alertStates: { a: '2' }, detectorStates: { '2': 'd2' }, outbox: [entry('e2')], idleMs: 3_600_000 },
          { model: m, scope: 'perf', end: E + BUCKET, alertStates: { a: 'older' }, outbox: [entry('older')] },
        ]);
        expect(reply.committed).toEqual([false, true, true, false]);
        expect((await state.readOutbox(m, 'perf', 10)).map(({ id: _id, ...e }) => e)).toEqual([entry('e0'), entry('e1a'), entry('e1b'), entry('e2')]);
        const input = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E + 2 * BUCKET });
        expect(input).toMatchObject({ alertStates: { a: '2', b: '1' }, detectorState: '{"legacy":1}', detectorStates: { '1': 'd1', '2': 'd2' } });
        expect((await state.commitEvaluation({ model: m, scope: 'perf', end: E + 2 * BUCKET, alertStates: {}, outbox: [] })).committed).toBe(false);
      });
    });

    describe('watermark', () => {
      it('waits for every source partition, then follows the slowest, leaving idle ones out', async () => {
        const state = await open();
        const m = model('partitions');
        const windows = { ...WINDOWS, sourcePartitions: 2 };
        const at = (partition: number, offset: number, time: number, caughtUp = false) =>
          state.applyDriftBatch({
            model: m,
            source: { group: 'g', topic: 'dw.predictions', partition, offset },
            windows,
            deltas: [{ family: 'feat:1', bucketStart: T0, counters: { n: 1 } }],
            maxEventTime: time,
            caughtUp,
          });
        expect((await at(0, 1, T0 + 50_000)).watermark).toBe(0); // partition 1 has not delivered yet
        expect((await at(1, 1, T0 + 20_000)).watermark).toBe(T0 + 20_000);
        expect((await at(0, 2, T0 + 90_000)).watermark).toBe(T0 + 20_000);
        // Far behind but not read to its end: a consumer catching up, so it is waited for.
        expect((await at(0, 3, T0 + 700_000)).watermark).toBe(T0 + 20_000);
        // Read to its end and more than the idle period (10 minutes) behind: idle, left out.
        expect((await at(1, 2, T0 + 30_000, true)).watermark).toBe(T0 + 700_000);
      });
    });

    describe('perf deltas (the join in the service, fenced on both streams)', () => {
      const PREDICTIONS = { group: 'perf', topic: 'dw.predictions', partition: 3 };
      const LABELS = { group: 'perf', topic: 'dw.labels', partition: 3 };
      const fieldOf = (s: { group: string; topic: string; partition: number }): string => `${s.group}|${s.topic}|${s.partition}`;
      function deltaBatch(
        m: string,
        kind: 'pp' | 'pl',
        offset: number,
        expected: PerfDeltaBatch['expected'],
        deltas: BucketDeltas[] = [],
        maxEventTime = T0,
      ): PerfDeltaBatch {
        const [own, paired] = kind === 'pp' ? [PREDICTIONS, LABELS] : [LABELS, PREDICTIONS];
        return { model: m, source: { ...own, offset }, pairedField: fieldOf(paired), kind, expected, windows: WINDOWS, deltas, maxEventTime };
      }

      it('a probe reports -1/-1 before anything is recorded, then both stored offsets, per partition', async () => {
        const state = await open();
        const m = model('deltas-probe');
        const some: BucketDeltas[] = [{ family: 'cov:1', bucketStart: T0, counters: { n: 7 } }];
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 5, null, some, T0 + 9_000))).toEqual({
          applied: false, recordedOffset: -1, pairedOffset: -1, watermark: 0, end: 0, evaluated: 0,
        });
        // A probe writes nothing, whatever it carries.
        expect(await state.readBuckets(m, 'cov:1', T0, T0 + BUCKET, BUCKET)).toEqual({});

        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 5, { own: -1, paired: -1 }, some))).toMatchObject({ applied: true, recordedOffset: 5, pairedOffset: -1 });
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pl', 8, { own: -1, paired: 5 }))).toMatchObject({ applied: true, recordedOffset: 8, pairedOffset: 5 });
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 6, null))).toMatchObject({ applied: false, recordedOffset: 5, pairedOffset: 8 });
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pl', 9, null))).toMatchObject({ applied: false, recordedOffset: 8, pairedOffset: 5 });
        // Another partition's pair has its own fence.
        const other = { ...deltaBatch(m, 'pp', 1, null), source: { ...PREDICTIONS, partition: 4, offset: 1 }, pairedField: fieldOf({ ...LABELS, partition: 4 }) };
        expect(await state.applyPerfDeltas(other)).toMatchObject({ applied: false, recordedOffset: -1, pairedOffset: -1 });
        expect(await state.readBuckets(m, 'cov:1', T0, T0 + BUCKET, BUCKET)).toEqual({ n: 7 });
      });

      it('adds the deltas to their buckets and the running windows holding them, registers the families, records the offset', async () => {
        const state = await open();
        const m = model('deltas-apply');
        const E = T0 + 4 * BUCKET;
        await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E });
        const deltas: BucketDeltas[] = [
          { family: 'perf:1', bucketStart: T0 + BUCKET, counters: { 'c|a|a': 1 } },
          { family: 'perf:1', bucketStart: T0 + BUCKET, counters: { 'c|a|a': 2, 'c|a|b': 1 } },
          { family: 'perf:1', bucketStart: T0 + 3 * BUCKET, counters: { 'c|b|b': 4, '~x': 0.1 } },
          { family: 'perf:1', bucketStart: T0 + 3 * BUCKET, counters: { '~x': 0.2 } },
          { family: 'cov:1', bucketStart: T0 + BUCKET, counters: { n: 3, l: 2 } },
          // Past E: its bucket only, no window holds it yet.
          { family: 'cov:1', bucketStart: T0 + 6 * BUCKET, counters: { n: 1 } },
        ];
        const reply = await state.applyPerfDeltas(deltaBatch(m, 'pl', 12, { own: -1, paired: -1 }, deltas, T0 + 6 * BUCKET));
        expect(reply).toEqual({ applied: true, recordedOffset: 12, pairedOffset: -1, watermark: 0, end: E, evaluated: 0 });
        const x = 0.1 + 0.2;
        expect(await state.readBuckets(m, 'perf:1', T0, T0 + 10 * BUCKET, BUCKET)).toEqual({ 'c|a|a': 3, 'c|a|b': 1, 'c|b|b': 4, '~x': x });
        expect(await state.readBuckets(m, 'cov:1', T0, T0 + 10 * BUCKET, BUCKET)).toEqual({ n: 4, l: 2 });

        const at = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E });
        expect(at.advanced).toBe(false);
        const allPerf = { 'c|a|a': 3, 'c|a|b': 1, 'c|b|b': 4, '~x': x };
        expect(at.windows).toEqual({ 'perf:1': { 5000: allPerf, 20000: allPerf }, 'cov:1': { 5000: { n: 3, l: 2 }, 20000: { n: 3, l: 2 } } });
        const slid = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: T0 + 7 * BUCKET });
        expect(slid.windows).toEqual({
          'perf:1': { 5000: { 'c|b|b': 4, '~x': x }, 20000: allPerf },
          'cov:1': { 5000: { n: 1 }, 20000: { n: 4, l: 2 } },
        });
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pl', 13, null))).toMatchObject({ recordedOffset: 12, pairedOffset: -1 });
      });

      it('refuses a wrong own or paired expectation with the stored offsets and writes nothing', async () => {
        const state = await open();
        const m = model('deltas-fence');
        const one: BucketDeltas[] = [{ family: 'perf:1', bucketStart: T0, counters: { 'c|a|a': 1 } }];
        await state.applyPerfDeltas(deltaBatch(m, 'pp', 5, { own: -1, paired: -1 }, one, T0 + 1_000));
        const before = await state.applyPerfDeltas(deltaBatch(m, 'pl', 8, { own: -1, paired: 5 }, one, T0 + 2_000));
        expect(before).toMatchObject({ applied: true, watermark: T0 + 1_000 });
        const lots: BucketDeltas[] = [
          { family: 'perf:1', bucketStart: T0, counters: { 'c|a|a': 100 } },
          { family: 'cov:2', bucketStart: T0 + BUCKET, counters: { n: 100 } },
        ];
        const wrong: [number, number][] = [
          [4, 8], // own behind
          [5, 7], // paired behind
          [5, -1], // the caller never saw the labels batch
          [5, 9], // paired ahead
        ];
        for (const [own, paired] of wrong) {
          const refused = await state.applyPerfDeltas(deltaBatch(m, 'pp', 9, { own, paired }, lots, T0 + 50_000));
          expect(refused, `expected ${own}/${paired}`).toEqual({ applied: false, recordedOffset: 5, pairedOffset: 8, watermark: T0 + 1_000, end: 0, evaluated: 0 });
        }
        expect(await state.readBuckets(m, 'perf:1', T0, T0 + BUCKET, BUCKET)).toEqual({ 'c|a|a': 2 });
        expect(await state.readBuckets(m, 'cov:2', T0, T0 + 2 * BUCKET, BUCKET)).toEqual({});
        // No family was registered and no offset moved.
        expect(Object.keys((await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: T0 + BUCKET })).windows)).toEqual(['perf:1']);
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pl', 9, null))).toMatchObject({ recordedOffset: 8, pairedOffset: 5, watermark: T0 + 1_000 });

        const right = await state.applyPerfDeltas(deltaBatch(m, 'pp', 9, { own: 5, paired: 8 }, lots, T0 + 3_000));
        expect(right).toMatchObject({ applied: true, recordedOffset: 9, pairedOffset: 8, watermark: T0 + 2_000 });
        expect(await state.readBuckets(m, 'perf:1', T0, T0 + BUCKET, BUCKET)).toEqual({ 'c|a|a': 102 });
      });

      it('holds the perf watermark until labels delivered, then follows the slower stream', async () => {
        const state = await open();
        const m = model('deltas-watermark');
        let pp = -1;
        let pl = -1;
        const apply = async (kind: 'pp' | 'pl', time: number): Promise<number> => {
          const expected = kind === 'pp' ? { own: pp, paired: pl } : { own: pl, paired: pp };
          const reply = await state.applyPerfDeltas(deltaBatch(m, kind, expected.own + 1, expected, [], time));
          expect(reply.applied).toBe(true);
          if (kind === 'pp') pp += 1;
          else pl += 1;
          return reply.watermark;
        };
        expect(await apply('pp', T0 + 50_000)).toBe(0);
        expect(await apply('pp', T0 + 60_000)).toBe(0);
        expect(await apply('pl', T0 + 20_000)).toBe(T0 + 20_000);
        expect(await apply('pl', T0 + 90_000)).toBe(T0 + 60_000);
        expect(await apply('pp', T0 + 100_000)).toBe(T0 + 90_000);
        // The drift scope's clock is its own.
        expect((await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: T0 })).from).toBe(0);
      });

      it('applies a replayed batch (at or below the recorded offset) without moving the recorded offset back', async () => {
        const state = await open();
        const m = model('deltas-replay');
        const one = [{ family: 'perf:1', bucketStart: T0, counters: { 'c|a|a': 1 } }];
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 9, { own: -1, paired: -1 }, one))).toMatchObject({ applied: true, recordedOffset: 9 });
        // A replayed prediction batch ending at 4 carries an outcome Redis never counted.
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 4, { own: 9, paired: -1 }, one))).toMatchObject({ applied: true, recordedOffset: 9 });
        expect(await state.readBuckets(m, 'perf:1', T0, T0 + BUCKET, BUCKET)).toEqual({ 'c|a|a': 2 });
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 4, null))).toMatchObject({ applied: false, recordedOffset: 9 });
      });

      it('refuses malformed batches before touching anything', async () => {
        const state = await open();
        const m = model('deltas-bad');
        const ok = deltaBatch(m, 'pp', 5, { own: -1, paired: -1 });
        const bad: [Partial<PerfDeltaBatch>, RegExp][] = [
          [{ kind: 'px' as 'pp' }, /kind must be pp/],
          [{ pairedField: fieldOf({ ...LABELS, partition: 4 }) }, /same group and partition/],
          [{ pairedField: fieldOf({ ...LABELS, group: 'other' }) }, /same group and partition/],
          [{ pairedField: 'dw.labels' }, /pairedField must be/],
          [{ pairedField: fieldOf(PREDICTIONS) }, /the other stream/],
          [{ expected: { own: -2, paired: 0 } }, /expected offsets must be integers >= -1/],
          [{ deltas: [{ family: 'feat:1', bucketStart: T0, counters: { a: 1 } }] }, /perf:<version> or cov:<version>/],
          [{ deltas: [{ family: 'perf:1', bucketStart: T0 + 1, counters: { a: 1 } }] }, /multiple of bucketMs/],
          [{ deltas: [{ family: 'perf:1', bucketStart: T0, counters: { a: Number.NaN } }] }, /finite number/],
        ];
        for (const [change, error] of bad) await expect(state.applyPerfDeltas({ ...ok, ...change }), String(error)).rejects.toThrow(error);
        expect(await state.applyPerfDeltas(deltaBatch(m, 'pp', 5, null))).toMatchObject({ recordedOffset: -1, pairedOffset: -1 });
      });
    });

    describe('evaluation commit and outbox', () => {
      it('commits once per E: a second commit for the same or an older E is a no-op', async () => {
        const state = await open();
        const m = model('commit');
        await state.applyDriftBatch(driftBatch(m, src(1), [{ family: 'feat:1', bucketStart: T0, counters: { a: 1 } }]));
        const E = T0 + 2 * BUCKET;
        await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: E });
        const entry = (key: string): { topic: string; key: string; value: Buffer; headers: Record<string, Buffer> } => ({
          topic: 'alerts',
          key,
          value: Buffer.from([0, 0xfe, 0x3a, key.length]),
          headers: { id: Buffer.from(`${key}@${E}`) },
        });
        const first = await state.commitEvaluation({
          model: m,
          scope: 'drift',
          end: E,
          alertStates: { 'drift|x': '{"status":"firing"}' },
          detectorState: '{"adwin":1}',
          outbox: [entry('one'), entry('two')],
        });
        expect(first.committed).toBe(true);
        const again = await state.commitEvaluation({ model: m, scope: 'drift', end: E, alertStates: { 'drift|x': '{"status":"ok"}' }, outbox: [entry('dup')] });
        expect(again.committed).toBe(false);
        const older = await state.commitEvaluation({ model: m, scope: 'drift', end: E - BUCKET, alertStates: { 'drift|y': '{}' }, outbox: [entry('old')] });
        expect(older.committed).toBe(false);

        const input = await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: E });
        expect(input).toMatchObject({ alertStates: { 'drift|x': '{"status":"firing"}' }, detectorState: '{"adwin":1}' });
        const other = await open();
        const outbox = await other.readOutbox(m, 'drift', 10);
        expect(outbox.map(({ id: _id, ...e }) => e)).toEqual([entry('one'), entry('two')]);
        await other.ackOutbox(m, 'drift', [outbox[1]?.id as string]);
        expect((await state.readOutbox(m, 'drift', 10)).map((e) => e.key)).toEqual(['one']);
        await state.ackOutbox(m, 'drift', [outbox[0]?.id as string]);
        expect(await state.readOutbox(m, 'drift', 10)).toEqual([]);

        const next = await state.commitEvaluation({ model: m, scope: 'drift', end: E + BUCKET, alertStates: {}, outbox: [entry('three')] });
        expect(next.committed).toBe(true);
        expect((await state.readOutbox(m, 'drift', 1)).map((e) => e.key)).toEqual(['three']);
        // Each service drains its own scope's outbox, never the other's.
        expect(await state.readOutbox(m, 'perf', 10)).toEqual([]);
      });
    });

    describe('per-version detector state', () => {
      it('stores each version\'s detector under its own field; a commit leaves unlisted versions as they are', async () => {
        const state = await open();
        const m = model('detectors');
        await state.applyDriftBatch(driftBatch(m, src(1), [{ family: 'feat:1', bucketStart: T0, counters: { a: 1 } }]));
        const E = T0 + 2 * BUCKET;
        const fresh = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E });
        expect(fresh).toMatchObject({ detectorState: null, detectorStates: {} });
        await state.commitEvaluation({
          model: m,
          scope: 'perf',
          end: E,
          alertStates: { 'm|1|x': '{"status":"ok"}' },
          detectorStates: { '1': '{"v":1}', 'v|2 %x': '{"v":2}' },
          outbox: [],
        });
        const first = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E });
        // Detector fields never show up as alert states; the legacy model-wide field stays empty.
        expect(first.alertStates).toEqual({ 'm|1|x': '{"status":"ok"}' });
        expect(first).toMatchObject({ detectorState: null, detectorStates: { '1': '{"v":1}', 'v|2 %x': '{"v":2}' } });

        await state.commitEvaluation({ model: m, scope: 'perf', end: E + BUCKET, alertStates: {}, detectorStates: { '3': '{"v":3}' }, outbox: [] });
        const second = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E + BUCKET });
        expect(second.detectorStates).toEqual({ '1': '{"v":1}', 'v|2 %x': '{"v":2}', '3': '{"v":3}' });
        // A fenced-off commit writes no detector either.
        await state.commitEvaluation({ model: m, scope: 'perf', end: E, alertStates: {}, detectorStates: { '1': '{"stale":true}' }, outbox: [] });
        expect((await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E + BUCKET })).detectorStates['1']).toBe('{"v":1}');
        // The scopes are separate: the drift scope has no detectors.
        expect((await state.advance({ model: m, scope: 'drift', windows: WINDOWS, to: E })).detectorStates).toEqual({});
      });

      it('keeps the legacy model-wide detector beside per-version ones', async () => {
        const state = await open();
        const m = model('detectors-legacy');
        await state.applyDriftBatch(driftBatch(m, src(1), [{ family: 'feat:1', bucketStart: T0, counters: { a: 1 } }]));
        const E = T0 + 2 * BUCKET;
        await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E });
        await state.commitEvaluation({ model: m, scope: 'perf', end: E, alertStates: {}, detectorState: '{"legacy":1}', outbox: [] });
        await state.commitEvaluation({ model: m, scope: 'perf', end: E + BUCKET, alertStates: {}, detectorStates: { '2': '{"v":2}' }, outbox: [] });
        const input = await state.advance({ model: m, scope: 'perf', windows: WINDOWS, to: E + BUCKET });
        expect(input).toMatchObject({ detectorState: '{"legacy":1}', detectorStates: { '2': '{"v":2}' } });
      });
    });

    describe('references', () => {
      it('appends samples up to the cap, stops once a reference is set, and honours onlyIfAbsent', async () => {
        const state = await open();
        const m = model('refs');
        const rows = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `{"x":${from + i}}`);
        const deltas: BucketDeltas[] = [{ family: 'feat:1', bucketStart: T0, counters: { a: 1 } }];
        const r1 = await state.applyDriftBatch(driftBatch(m, src(1), deltas, { referenceSamples: [{ version: '1', rows: rows(0, 3), cap: 5 }] }));
        expect(r1.sampleSizes).toEqual({ '1': 3 });
        const r2 = await state.applyDriftBatch(
          driftBatch(m, src(2), deltas, { referenceSamples: [{ version: '1', rows: rows(3, 4), cap: 5 }, { version: '2', rows: rows(0, 1), cap: 5 }] }),
        );
        expect(r2.sampleSizes).toEqual({ '1': 5, '2': 1 });
        expect(await state.readReferenceSample(m, '1')).toEqual(rows(0, 5));
        expect(await state.getReference(m, '1')).toBeNull();

        expect(await state.setReference(m, '1', '{"ref":1}', { onlyIfAbsent: true })).toBe(true);
        expect(await state.readReferenceSample(m, '1')).toEqual([]);
        expect(await state.setReference(m, '1', '{"ref":2}', { onlyIfAbsent: true })).toBe(false);
        expect(await state.getReference(m, '1')).toBe('{"ref":1}');
        expect(await state.setReference(m, '1', '{"ref":3}')).toBe(true);
        expect(await state.getReference(m, '1')).toBe('{"ref":3}');

        const r3 = await state.applyDriftBatch(driftBatch(m, src(3), deltas, { referenceSamples: [{ version: '1', rows: rows(9, 2), cap: 5 }] }));
        expect(r3.sampleSizes).toEqual({ '1': 0 });
        expect(await state.readReferenceSample(m, '2')).toEqual(rows(0, 1));
      });
    });
  });
}
