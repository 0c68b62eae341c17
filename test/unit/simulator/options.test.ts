import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseSimulatorOptions, SimulatorOptionError, type RunOptions } from '../../../services/simulator/options.js';
import { liveStream, trainingLines, trainingSample, writeTrainingData } from '../../../services/simulator/streams.js';
import { hyperplaneLabel, hyperplaneWeights } from '../../../shared/sim/concepts/index.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}): RunOptions => {
  const options = parseSimulatorOptions(argv, env);
  if (options.mode !== 'run') throw new Error('expected run mode');
  return options;
};

/** The single error a parse throws, as text. */
const errorOf = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    parseSimulatorOptions(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(SimulatorOptionError);
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

describe('simulator options', () => {
  it('has defaults', () => {
    const o = run([]);
    expect(o).toMatchObject({
      model: 'sim',
      before: { kind: 'hyperplane', variant: 0, seed: 1 },
      after: { kind: 'hyperplane', variant: 1, seed: 1 },
      driftAfterS: 60,
      driftWidthS: 0,
      rate: 50,
      labelDelay: { minMs: 1000, maxMs: 5000 },
      labelShare: 1,
      seed: 1,
      readyTimeoutS: 30,
      tickMs: 100,
    });
    expect(o.count).toBeUndefined();
    expect(o.durationS).toBeUndefined();
    expect(o.noiseLabelsAfterS).toBeUndefined();
  });

  it('reads the environment, and a flag wins over its variable', () => {
    const env = {
      SIM_MODEL: 'hp',
      SIM_CONCEPT_BEFORE: 'sea:1',
      SIM_CONCEPT_AFTER: 'sea:3',
      SIM_DRIFT_AFTER: '30',
      SIM_DRIFT_WIDTH: '5',
      SIM_RATE: '200',
      SIM_LABEL_DELAY: '200,800',
      SIM_NOISE_LABELS_AFTER: '90',
      SIM_SEED: '9',
      SIM_DURATION: '120',
      SIM_COUNT: '1000',
    };
    const o = run(['--rate', '20', '--after', 'agrawal:4'], env);
    expect(o).toMatchObject({
      model: 'hp',
      before: { kind: 'sea', variant: 1, seed: 9 },
      after: { kind: 'agrawal', variant: 4, seed: 9 },
      driftAfterS: 30,
      driftWidthS: 5,
      rate: 20,
      labelDelay: { minMs: 200, maxMs: 800 },
      noiseLabelsAfterS: 90,
      seed: 9,
      durationS: 120,
      count: 1000,
    });
    expect(run([], { SIM_LABEL_DELAY: '300' }).labelDelay).toEqual({ minMs: 300, maxMs: 300 });
    expect(run([], { SIM_RATE: '' }).rate).toBe(50); // empty = unset
  });

  it('names the variable of a bad value in one clear error', () => {
    expect(errorOf([], { SIM_RATE: 'fast' })).toBe('SIM_RATE (--rate) must be a positive number, got "fast"');
    expect(errorOf([], { SIM_RATE: '0' })).toMatch(/^SIM_RATE \(--rate\) must be a positive number/);
    expect(errorOf(['--drift-after=-5'])).toMatch(/^SIM_DRIFT_AFTER \(--drift-after\) must be a non-negative number, got "-5"/);
    expect(errorOf([], { SIM_DRIFT_WIDTH: '1e999' })).toMatch(/^SIM_DRIFT_WIDTH/);
    expect(errorOf([], { SIM_COUNT: '2.5' })).toMatch(/^SIM_COUNT \(--count\) must be an integer ≥ 1, got "2.5"/);
    expect(errorOf([], { SIM_SEED: 'abc' })).toMatch(/^SIM_SEED/);
    expect(errorOf([], { SIM_DURATION: '10m' })).toMatch(/^SIM_DURATION/);
    expect(errorOf([], { SIM_LABEL_DELAY: '500,100' })).toMatch(/^SIM_LABEL_DELAY \(--label-delay\) must be MIN,MAX/);
    expect(errorOf([], { SIM_LABEL_DELAY: '1,2,3' })).toMatch(/^SIM_LABEL_DELAY/);
    expect(errorOf([], { SIM_LABEL_SHARE: '1.5' })).toMatch(/^SIM_LABEL_SHARE/);
    expect(errorOf([], { SIM_NOISE_LABELS_AFTER: 'soon' })).toMatch(/^SIM_NOISE_LABELS_AFTER/);
    expect(errorOf([], { SIM_MODEL: 'my model' })).toMatch(/^SIM_MODEL \(--model\) must be a model name/);
    expect(errorOf([], { SIM_CONCEPT_BEFORE: 'circle:1' })).toMatch(/^SIM_CONCEPT_BEFORE \(--before\) must be KIND\[:VARIANT\] with KIND one of sea, hyperplane, agrawal, got "circle:1"/);
    expect(errorOf([], { SIM_CONCEPT_AFTER: 'sea:7' })).toMatch(/^SIM_CONCEPT_AFTER \(--after\): sea: variant must be 0, 1, 2 or 3/);
    expect(errorOf([], { SIM_CONCEPT_AFTER: 'hyperplane:-1' })).toMatch(/^SIM_CONCEPT_AFTER/);
    expect(errorOf(['--bogus'])).toMatch(/bogus/);
    expect(errorOf(['--rows', '5'])).toMatch(/--rows is only for --write-training-data/);
    expect(errorOf(['--write-training-data', 'x.csv', '--rows', 'many'])).toBe('--rows must be a positive integer, got "many"');
  });

  it('parses the training-data mode', () => {
    expect(parseSimulatorOptions(['--write-training-data', 'v1.csv', '--rows', '300', '--before', 'sea:2'], { SIM_SEED: '4' })).toEqual({
      mode: 'write-training-data',
      model: 'sim',
      before: { kind: 'sea', variant: 2, seed: 4 },
      seed: 4,
      rate: 50,
      file: 'v1.csv',
      rows: 300,
    });
  });
});

describe('simulator streams', () => {
  it('switches concept after the drift offset at the rate', () => {
    const o = run([], { SIM_DRIFT_AFTER: '2', SIM_RATE: '10' });
    const samples = [...take(liveStream(o), 40)];
    expect(samples.slice(0, 20).every((s) => s.concept === 'before')).toBe(true);
    expect(samples.slice(20).every((s) => s.concept === 'after')).toBe(true);
  });

  it('turns labels to noise from SIM_NOISE_LABELS_AFTER on', () => {
    const o = run([], { SIM_NOISE_LABELS_AFTER: '1', SIM_RATE: '10', SIM_DRIFT_AFTER: '100' });
    const samples = [...take(liveStream(o), 30)];
    expect(samples.slice(0, 10).some((s) => s.noisy)).toBe(false);
    expect(samples.slice(10).every((s) => s.noisy)).toBe(true);
  });

  it('writes training rows of the before concept (same concept seed as the live run) as CSV or JSON Lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dw-sim-'));
    try {
      const now = Date.UTC(2026, 0, 1);
      const csv = join(dir, 'v1.csv');
      const written = await writeTrainingData({ mode: 'write-training-data', model: 'sim', before: { kind: 'hyperplane', variant: 0, seed: 3 }, seed: 3, rate: 100, file: csv, rows: 50 }, now);
      expect(written).toEqual({ rows: 50, format: 'csv' });
      const rows = parse(await readFile(csv, 'utf8'), { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(50);
      expect(Object.keys(rows[0]!)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10', 'label', 'time']);
      const weights = hyperplaneWeights(3, 0, 10);
      for (const row of rows) {
        const x = weights.map((_, i) => Number(row[`x${i + 1}`]));
        expect(row.label).toBe(hyperplaneLabel(weights, x));
        expect(Number(row.time)).toBeLessThan(now);
      }

      const jsonl = join(dir, 'v1.jsonl');
      expect(await writeTrainingData({ mode: 'write-training-data', model: 'sim', before: { kind: 'sea', variant: 0, seed: 3 }, seed: 3, rate: 100, file: jsonl, rows: 20 }, now)).toEqual({ rows: 20, format: 'jsonl' });
      const lines = (await readFile(jsonl, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { features: Record<string, number>; label: string; time: number });
      expect(lines).toHaveLength(20);
      expect(Object.keys(lines[0]!)).toEqual(['features', 'label', 'time']);
      expect(Object.keys(lines[0]!.features)).toEqual(['x1', 'x2', 'x3']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('marks categories that look like numbers in the CSV header', () => {
    const rows = trainingSample({ before: { kind: 'agrawal', variant: 1, seed: 1 }, seed: 1, rate: 10, rows: 5 }, 0);
    const header = trainingLines(rows, 'csv')[0]!.split(',');
    expect(header).toContain('elevel:categorical');
    expect(header).toContain('salary');
    expect(header.slice(-2)).toEqual(['label', 'time']);
  });
});

function* take<T>(iterable: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const item of iterable) {
    if (i++ >= n) return;
    yield item;
  }
}
