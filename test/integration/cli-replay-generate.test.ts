// `driftwatch generate` and `driftwatch replay` through the real built binary: a seeded
// scenario written to files, replayed into a report whose alerts come after the change point
// (the shifted feature among them), and the exit codes of bad input and bad usage.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../shared/report/types.js';
import { runCliBinary } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-replay-cli-'));
const env = { ...process.env, LOG_LEVEL: 'warn' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('driftwatch generate and replay (built binary)', () => {
  it('generates a scenario and replays it into report.json and report.html with alerts after the change point', async () => {
    const data = join(dir, 'data');
    const generated = await runCliBinary(['generate', '--count', '6000', '--seed', '3', '--events-per-second', '5', '--out', data], env);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toBe(
      `Wrote 6000 predictions to ${join(data, 'predictions.jsonl')}\n  and 6000 labels to ${join(data, 'labels.jsonl')} (parameters in scenario.json).\n`,
    );
    const scenario = JSON.parse(readFileSync(join(data, 'scenario.json'), 'utf8')) as { changePointTime: number; parameters: { shiftAt: number } };
    expect(scenario.parameters.shiftAt).toBe(3000);
    expect(readFileSync(join(data, 'predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6000);

    const out = join(dir, 'report');
    const replayed = await runCliBinary(
      ['replay', '--predictions', join(data, 'predictions.jsonl'), '--labels', join(data, 'labels.jsonl'), '--out', out],
      env,
    );
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/^Replayed 6000 predictions and 6000 labels in [\d.]+ s: 1 model\(s\), \d+ window evaluations, \d+ alert transitions\.\nWrote .*report\.json\n {2}and .*report\.html\n$/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.run.counts).toMatchObject({ predictions: 6000, labels: 6000, deadLetters: {} });
    const alerts = report.models[0]!.alerts;
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => a.time >= scenario.changePointTime)).toBe(true);
    expect(alerts).toContainEqual(expect.objectContaining({ kind: 'DATA_DRIFT', status: 'FIRING', feature: 'spend' }));
    expect(statSync(join(out, 'report.html')).size).toBeGreaterThan(1000);
  });

  it('exits 1 naming the file and line of a bad record, and 2 on usage errors', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id":"p1","model":"m","modelVersion":"1","time":1,"features":{},"predictedClass":"a"}\n{"id":"p2","model":"m"}\n');
    const labels = join(dir, 'no-labels.jsonl');
    writeFileSync(labels, '');
    const replayed = await runCliBinary(['replay', '--predictions', bad, '--labels', labels, '--out', join(dir, 'bad-report')], env);
    expect(replayed.code).toBe(1);
    expect(replayed.stderr).toContain(`driftwatch: ${bad}:2: modelVersion must be a non-empty string, got nothing`);
    expect((await runCliBinary(['replay', '--predictions', bad], env)).code).toBe(2);
    const usage = await runCliBinary(['generate', '--count', 'many', '--out', dir], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("option '--count <n>' argument 'many' is invalid");
  });
});
