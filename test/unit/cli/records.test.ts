import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PredictionRecord } from '../../../shared/sdk/records.js';
import { generateScenario } from '../../../shared/sim/scenario.js';
import { InputError } from '../../../services/cli/input-error.js';
import { detectFormat, readLabels, readPredictions } from '../../../services/cli/read-records.js';
import { writeLabels, writePredictions } from '../../../services/cli/write-records.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-records-'));

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(source: AsyncIterable<unknown>): Promise<InputError> {
  try {
    await collect(source);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the read to fail');
}

describe('record files', () => {
  const scenario = generateScenario({ seed: 9, count: 800, unlabelledShare: 0.1, missingRate: 0.2 });

  for (const format of ['jsonl', 'csv'] as const) {
    it(`reads back what it writes (${format})`, async () => {
      const predictions = join(dir, `p.${format}`);
      const labels = join(dir, `l.${format}`);
      await writePredictions(predictions, scenario.predictions, format);
      await writeLabels(labels, scenario.labels, format);
      expect(detectFormat(predictions)).toBe(format);
      expect(await collect(readPredictions(predictions, { format }))).toEqual(scenario.predictions);
      expect(await collect(readLabels(labels, { format }))).toEqual(scenario.labels);
    });
  }

  it('keeps number-looking categories categorical through CSV', async () => {
    const records: PredictionRecord[] = [
      { id: 'a', model: 'm', modelVersion: '2', time: 5, features: { zip: '01234', flag: 'TRUE', x: 1.5, b: false }, predictedValue: 3.25 },
      { id: 'b, "quoted"', model: 'm', modelVersion: '2', time: 6, features: { zip: 'n/a', flag: null, x: null, b: true }, predictedValue: -1 },
    ];
    const path = join(dir, 'typed.csv');
    await writePredictions(path, records, 'csv');
    expect(await collect(readPredictions(path, { format: 'csv' }))).toEqual(records);
  });

  it('infers CSV feature types from the text', async () => {
    const path = file(
      'infer.csv',
      'id,model,modelVersion,time,predictedClass,p_yes,f_n,f_b,f_c,f_forced:categorical,s_region\n' +
        'x1,churn,1,2026-01-01T00:00:00Z,yes,0.8,-1.5e2,True,gold,007,eu\n' +
        'x2,churn,1,1767225600001,no,,,false,,,\n',
    );
    const [first, second] = await collect(readPredictions(path, { format: 'csv' }));
    expect(first).toEqual({
      id: 'x1',
      model: 'churn',
      modelVersion: '1',
      time: Date.UTC(2026, 0, 1),
      features: { n: -150, b: true, c: 'gold', forced: '007' },
      predictedClass: 'yes',
      probabilities: { yes: 0.8 },
      segments: { region: 'eu' },
    });
    expect(second!.features).toEqual({ n: null, b: false, c: null, forced: null });
    expect(second!.probabilities).toBeUndefined();
  });

  it('names the file and line of an invalid JSONL record', async () => {
    const path = file(
      'bad.jsonl',
      '{"id":"a","model":"m","modelVersion":"1","time":1,"predictedClass":"x"}\n\n{"id":"b","model":"m","modelVersion":"1","time":2}\n',
    );
    const error = await failure(readPredictions(path, { format: 'jsonl' }));
    expect(error.message).toBe(`${path}:3: a prediction needs predictedClass or predictedValue`);
    const broken = file('broken.jsonl', '{"predictionId":"a","model":"m","time":1,"trueClass":"x"}\n{"predictionId":\n');
    expect((await failure(readLabels(broken, { format: 'jsonl' }))).message).toMatch(new RegExp(`^${broken}:2: not valid JSON`));
    const badFeature = file('feature.jsonl', '{"id":"a","model":"m","modelVersion":"1","time":"yesterday","predictedClass":"x"}\n');
    expect((await failure(readPredictions(badFeature, { format: 'jsonl' }))).message).toMatch(/feature\.jsonl:1: time must be/);
  });

  it('names the file and line of an invalid CSV record or header', async () => {
    const typo = file('typo.csv', 'id,model,modelVersion,time,predictedClass,feature_x\n');
    expect((await failure(readPredictions(typo, { format: 'csv' }))).message).toMatch(/typo\.csv:1: unknown prediction column "feature_x"/);
    const badNumber = file('num.csv', 'predictionId,model,time,trueValue\na,m,1,2.5\nb,m,2,lots\n');
    expect((await failure(readLabels(badNumber, { format: 'csv' }))).message).toBe(`${badNumber}:3: trueValue: "lots" is not a number`);
    const short = file('short.csv', 'predictionId,model,time,trueClass\na,m,1\n');
    expect((await failure(readLabels(short, { format: 'csv' }))).message).toMatch(/short\.csv:2: expected 4 columns, got 3/);
    const quote = file('quote.csv', 'predictionId,model,time,trueClass\n"a,m,1,x\n');
    expect((await failure(readLabels(quote, { format: 'csv' }))).message).toMatch(/quote\.csv(:\d+)?: invalid CSV/);
  });

  it('says which file cannot be read', async () => {
    const missing = join(dir, 'nope.jsonl');
    expect((await failure(readPredictions(missing, { format: 'jsonl' }))).message).toMatch(/nope\.jsonl: cannot read: ENOENT/);
  });
});
