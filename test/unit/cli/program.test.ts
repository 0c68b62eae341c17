import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { ReplayInput, RunReplay } from '../../../shared/report/replay.js';
import { REPORT_FORMAT, type Report } from '../../../shared/report/types.js';
import type { LabelRecord, PredictionRecord } from '../../../shared/sdk/records.js';
import { InputError } from '../../../services/cli/input-error.js';
import { CliError, createProgram } from '../../../services/cli/program.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));

function capture(isTTY = false) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 120;
  }
  return { stream, text: () => text };
}

/**
 * Stands in for the embedded services (services/embedded/replay.ts): it only reads the
 * records and reports their counts and models, which is all the CLI's side depends on.
 */
function countingReplay(seen: { input?: ReplayInput }): RunReplay {
  return async (input) => {
    seen.input = input;
    const predictions: PredictionRecord[] = [];
    const labels: LabelRecord[] = [];
    await Promise.all([
      (async () => {
        for await (const p of input.predictions) predictions.push(p);
      })(),
      (async () => {
        for await (const l of input.labels) labels.push(l);
      })(),
    ]);
    input.onProgress?.({ stage: 'evaluating', predictions: predictions.length, labels: labels.length });
    const times = predictions.map((p) => p.time as number);
    const report: Report = {
      format: REPORT_FORMAT,
      run: {
        generatedAt: 0,
        durationMs: 0,
        inputs: { predictions: input.sources?.predictions ?? null, labels: input.sources?.labels ?? null, config: input.config ?? null },
        counts: { predictions: predictions.length, labels: labels.length, deadLetters: {} },
        eventTime: times.length ? { start: Math.min(...times), end: Math.max(...times) } : null,
        notes: [],
      },
      models: [...new Set(predictions.map((p) => p.model))].map((model) => ({ model, versions: ['1'], windows: [], alerts: [] })),
    };
    return report;
  };
}

async function run(args: string[], runReplay: RunReplay, isTTY = false) {
  const stdout = capture(isTTY);
  const stderr = capture();
  const program = createProgram({ stdout: stdout.stream, stderr: stderr.stream, loadRunReplay: async () => runReplay });
  let error: unknown = null;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    error = e;
  }
  return { error, stdout: stdout.text(), stderr: stderr.text() };
}

describe('driftwatch generate + replay', () => {
  it('generates a scenario that replay reads, and writes the report the replay returns', async () => {
    const data = join(dir, 'data');
    const generated = await run(['generate', '--seed', '5', '--count', '300', '--format', 'csv', '--unlabelled-share', '0.1', '--out', data], countingReplay({}));
    expect(generated.error).toBeNull();
    const scenario = JSON.parse(readFileSync(join(data, 'scenario.json'), 'utf8'));
    expect(scenario.parameters).toMatchObject({ seed: 5, count: 300, shiftAt: 150, unlabelledShare: 0.1 });

    const seen: { input?: ReplayInput } = {};
    const config = join(dir, 'monitor.yaml');
    writeFileSync(config, 'models: {}\n');
    const out = join(dir, 'out');
    const result = await run(
      ['replay', '--predictions', join(data, 'predictions.csv'), '--labels', join(data, 'labels.csv'), '--config', config, '--out', out],
      countingReplay(seen),
    );
    expect(result.error).toBeNull();
    expect(seen.input!.config).toBe(config);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    expect(report.run.counts).toEqual({ predictions: 300, labels: scenario.labels, deadLetters: {} });
    expect(report.models.map((m) => m.model)).toEqual(['churn']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<!doctype html>');
    // Not a terminal: the summary only, no progress bar.
    expect(result.stdout).toMatch(/^Replayed 300 predictions and \d+ labels in [\d.]+ s: 1 model\(s\), 0 window evaluations, 0 alert transitions\.\nWrote /);
    expect(result.stdout).not.toContain('\u001b');
  });

  it('draws a progress bar on a terminal', async () => {
    const data = join(dir, 'tty');
    await run(['generate', '--count', '50', '--out', data], countingReplay({}));
    const result = await run(
      ['replay', '--predictions', join(data, 'predictions.jsonl'), '--labels', join(data, 'labels.jsonl'), '--out', join(dir, 'tty-out')],
      countingReplay({}),
      true,
    );
    expect(result.error).toBeNull();
    expect(result.stdout).toMatch(/100% \| 50 predictions, 50 labels \| done/);
  });

  it('reports the invalid line even when the replay wraps the error', async () => {
    const predictions = join(dir, 'bad.jsonl');
    writeFileSync(predictions, '{"id":"a","model":"m","modelVersion":"1","time":1,"predictedClass":"x"}\n{"id":"b"}\n');
    const labels = join(dir, 'empty.jsonl');
    writeFileSync(labels, '');
    const wrapping: RunReplay = async (input) => {
      try {
        return await countingReplay({})(input);
      } catch (error) {
        throw new Error(`embedded replay stopped: ${(error as Error).message}`);
      }
    };
    const result = await run(['replay', '--predictions', predictions, '--labels', labels, '--out', join(dir, 'x')], wrapping);
    expect(result.error).toBeInstanceOf(InputError);
    expect((result.error as Error).message).toMatch(/bad\.jsonl:2: model must be a non-empty string, got nothing$/);
  });

  it('fails before replaying when an input or the config is unreadable', async () => {
    let loaded = false;
    const replay: RunReplay = async () => {
      loaded = true;
      throw new Error('unreachable');
    };
    const missing = await run(['replay', '--predictions', join(dir, 'none.jsonl'), '--labels', join(dir, 'none2.jsonl'), '--out', dir], replay);
    expect((missing.error as Error).message).toMatch(/none\.jsonl: cannot read/);
    const labels = join(dir, 'l.jsonl');
    writeFileSync(labels, '');
    const noConfig = await run(['replay', '--predictions', labels, '--labels', labels, '--config', join(dir, 'c.yaml'), '--out', dir], replay);
    expect((noConfig.error as Error).message).toMatch(/c\.yaml: cannot read/);
    expect(loaded).toBe(false);
  });

  it('turns a replay failure into a CliError', async () => {
    const labels = join(dir, 'l2.jsonl');
    writeFileSync(labels, '');
    const result = await run(['replay', '--predictions', labels, '--labels', labels, '--out', dir], async () => {
      throw new Error('redis went away');
    });
    expect(result.error).toBeInstanceOf(CliError);
    expect((result.error as Error).message).toBe('replay failed: redis went away');
  });

  it('refuses bad usage with commander errors', async () => {
    const missing = await run(['replay', '--labels', 'x'], countingReplay({}));
    expect(missing.error).toBeInstanceOf(CommanderError);
    expect(missing.stderr).toMatch(/required option '--predictions <file>'/);
    const badFormat = await run(['generate', '--format', 'xml', '--out', dir], countingReplay({}));
    expect(badFormat.stderr).toMatch(/must be one of jsonl, csv/);
    const badShare = await run(['generate', '--unlabelled-share', '2', '--out', dir], countingReplay({}));
    expect(badShare.stderr).toMatch(/must be a number in \[0, 1\]/);
  });
});
