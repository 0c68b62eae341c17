// `driftwatch train`'s input files: CSV cells typed by their text (or a header suffix), JSON
// Lines nested or flat, the time column, and bad rows failing with file and line. Also: what
// the simulator's --write-training-data writes reads back unchanged.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../services/cli/input-error.js';
import { readTrainingRows, type TrainingRowsOptions } from '../../../services/cli/training-rows.js';
import { trainingLines, trainingSample } from '../../../services/simulator/streams.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-training-rows-'));
let n = 0;

function file(ext: string, text: string): string {
  const path = join(dir, `f${++n}.${ext}`);
  writeFileSync(path, text);
  return path;
}

async function failure(path: string, options: TrainingRowsOptions): Promise<InputError> {
  try {
    await readTrainingRows(path, options);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the read to fail');
}

const csv: TrainingRowsOptions = { format: 'csv' };
const jsonl: TrainingRowsOptions = { format: 'jsonl' };

describe('training rows: CSV', () => {
  it('types cells by their text: numbers, true/false, empty = missing, other = categorical', async () => {
    const path = file('csv', 'tenure,premium,plan,zip:categorical,label,time\n3,true,gold,0101,churn,1000\n-1.5e2,FALSE,,7,stay,2000\n,,"a, b",,stay,3000\n');
    const read = await readTrainingRows(path, csv);
    expect(read.timed).toBe(true);
    expect(read.features).toEqual(['tenure', 'premium', 'plan', 'zip']);
    expect(read.rows).toEqual([
      { features: { tenure: 3, premium: true, plan: 'gold', zip: '0101' }, label: 'churn', time: 1000, line: 2 },
      { features: { tenure: -150, premium: false, plan: null, zip: '7' }, label: 'stay', time: 2000, line: 3 },
      { features: { tenure: null, premium: null, plan: 'a, b', zip: null }, label: 'stay', time: 3000, line: 4 },
    ]);
  });

  it('reads ISO-8601 times, a named time column and label column; without a time column there are no times', async () => {
    const iso = await readTrainingRows(file('csv', 'x,y,at\n1,a,2024-05-01T10:00:00Z\n2,b,2024-05-01T10:00:01.500Z\n'), {
      ...csv,
      labelColumn: 'y',
      timeColumn: 'at',
      timeColumnRequired: true,
    });
    expect(iso.rows.map((r) => [r.label, r.time])).toEqual([
      ['a', Date.parse('2024-05-01T10:00:00Z')],
      ['b', Date.parse('2024-05-01T10:00:01.500Z')],
    ]);
    const untimed = await readTrainingRows(file('csv', 'x,label\n1,a\n2,b\n'), csv);
    expect(untimed.timed).toBe(false);
    expect(untimed.rows.every((r) => r.time === undefined)).toBe(true);
    // `time` is a feature only when the time column is named otherwise.
    const other = await readTrainingRows(file('csv', 'time,label,ts\n5,a,1\n'), { ...csv, timeColumn: 'ts' });
    expect(other.rows[0]).toMatchObject({ features: { time: 5 }, time: 1 });
  });

  it('refuses a header without the label column, a missing required time column, duplicate and nameless columns', async () => {
    expect((await failure(file('csv', 'x,target\n1,a\n'), csv)).message).toMatch(/:1: no label column "label" in the header \(columns: x, target\); name it with --label-column$/);
    expect((await failure(file('csv', 'x,label\n1,a\n'), { ...csv, timeColumn: 'ts', timeColumnRequired: true })).message).toMatch(/:1: no time column "ts"/);
    expect((await failure(file('csv', 'x,x,label\n1,2,a\n'), csv)).message).toMatch(/:1: column x appears twice$/);
    expect((await failure(file('csv', 'x,x:numeric,label\n1,2,a\n'), csv)).message).toMatch(/:1: column x appears twice$/);
    expect((await failure(file('csv', 'x,,label\n1,2,a\n'), csv)).message).toMatch(/:1: column 2 of the header has no name$/);
    expect((await failure(file('csv', ''), csv)).message).toMatch(/: empty file: expected a header and rows$/);
  });

  it('names the file and line of a bad row', async () => {
    const cases: [string, RegExp][] = [
      ['x,label\n1,a\n2,b,3\n', /f\d+\.csv:3: expected 2 columns, got 3$/],
      ['x,label\n1,a\n2,\n', /:3: the label is empty$/],
      ['x,label,time\n1,a,1000\n2,b,yesterday\n', /:3: time must be epoch milliseconds or an ISO-8601 time, got "yesterday"$/],
      ['x:numeric,label\n1,a\n\n2x,b\n', /:4: x: "2x" is not a finite number$/],
      ['x:boolean,label\n1,a\n', /:2: x: "1" is not true or false$/],
      // One type per feature: a stray word in a numeric column would otherwise train as missing.
      ['x,label\n1,a\n2,b\nn/a,a\n', /:4: feature x is categorical here \("n\/a"\) but numeric on line 2 \(1\); one feature needs one type \(in a CSV header, x:categorical makes every value a category\)$/],
      // Every row timed or none.
      ['x,label,time\n1,a,1000\n2,b,\n', /:3: no time, but line 2 has one \(1 of 2 rows have no time\): give every row a time, or none/],
      ['x,label\n"1,a\n', /: invalid CSV: /],
    ];
    for (const [text, message] of cases) expect((await failure(file('csv', text), csv)).message).toMatch(message);
    const custom = await failure(file('csv', 'x,label,ts\n1,a,soon\n'), { ...csv, timeColumn: 'ts' });
    expect(custom.message).toMatch(/:2: ts must be epoch milliseconds/);
    expect((await failure(join(dir, 'missing.csv'), csv)).message).toMatch(/missing\.csv: cannot read: /);
  });
});

describe('training rows: JSON Lines', () => {
  it('reads nested and flat rows; labels that are numbers or booleans become text; JSON types are the feature types', async () => {
    const path = file(
      'jsonl',
      [
        '{"features": {"tenure": 3, "plan": "gold", "premium": true, "zip": "0101"}, "label": "churn", "time": 1000, "id": "ignored"}',
        '',
        '{"tenure": null, "plan": "basic", "premium": false, "zip": "7", "label": 1, "time": "1970-01-01T00:00:02Z"}',
        '{"features": {}, "label": false, "time": 3000}',
      ].join('\n'),
    );
    const read = await readTrainingRows(path, jsonl);
    expect(read.rows).toEqual([
      { features: { tenure: 3, plan: 'gold', premium: true, zip: '0101' }, label: 'churn', time: 1000, line: 1 },
      { features: { tenure: null, plan: 'basic', premium: false, zip: '7' }, label: '1', time: 2000, line: 3 },
      { features: {}, label: 'false', time: 3000, line: 4 },
    ]);
    const flat = await readTrainingRows(file('jsonl', '{"x": 1, "y": "a"}\n{"x": 2, "y": "b"}\n'), { ...jsonl, labelColumn: 'y' });
    expect(flat.timed).toBe(false);
    expect(flat.rows.map((r) => [r.features, r.label])).toEqual([
      [{ x: 1 }, 'a'],
      [{ x: 2 }, 'b'],
    ]);
  });

  it('names the line of a bad row', async () => {
    const cases: [string, RegExp][] = [
      ['{"x": 1, "label": "a"}\n{"x": 2\n', /f\d+\.jsonl:2: not valid JSON/],
      ['[1, 2]\n', /:1: a training row must be an object, got \[1,2\]$/],
      ['{"x": 1, "label": "a"}\n{"x": 2}\n', /:2: label \(the label\) must be a non-empty string, number or boolean, got nothing$/],
      ['{"x": {"nested": 1}, "label": "a"}\n', /:1: feature x must be a number, string, boolean or null, got \{"nested":1\}$/],
      ['{"features": [1], "label": "a"}\n', /:1: features must be an object, got \[1\]$/],
      ['{"x": 1, "label": "a", "time": "later"}\n', /:1: time must be epoch milliseconds or an ISO-8601 time, got "later"$/],
      ['{"x": 1, "label": "a", "time": 5}\n{"x": "one", "label": "b", "time": 6}\n', /:2: feature x is categorical here \("one"\) but numeric on line 1 \(1\)/],
      ['{"x": 1, "label": "a", "time": 5}\n{"x": 2, "label": "b"}\n', /:2: no time, but line 1 has one/],
    ];
    for (const [text, message] of cases) expect((await failure(file('jsonl', text), jsonl)).message).toMatch(message);
    expect((await failure(file('jsonl', '{"x": 1, "label": "a"}\n'), { ...jsonl, timeColumn: 'ts', timeColumnRequired: true })).message).toMatch(
      /: no row has the time field "ts"$/,
    );
  });
});

describe('training rows: what the simulator writes (--write-training-data)', () => {
  const concepts = [
    { kind: 'hyperplane', variant: 0, seed: 3 },
    // Categories that look like numbers (elevel, car, zipcode): the CSV header marks them.
    { kind: 'agrawal', variant: 1, seed: 3 },
    { kind: 'sea', variant: 0, seed: 3 },
  ] as const;
  for (const before of concepts) {
    for (const format of ['csv', 'jsonl'] as const) {
      it(`reads back ${before.kind} as ${format}`, async () => {
        const sample = trainingSample({ before, seed: 5, rate: 50, rows: 200 }, 1_700_000_000_000);
        const path = file(format, `${trainingLines(sample, format).join('\n')}\n`);
        const read = await readTrainingRows(path, { format });
        expect(read.timed).toBe(true);
        expect(read.rows.map(({ features, label, time }) => ({ features, label, time }))).toEqual(sample);
      });
    }
  }
});
