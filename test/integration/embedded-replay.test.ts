// The embedded mode end to end, through the real command: `driftwatch generate` writes the
// seeded churn scenario of the scikit-learn fixture (test/fixtures/e2e), `driftwatch
// replay` runs both monitoring services in one process over it (in-memory bus and store:
// embedded mode is what is under test), and the report must hold scikit-learn's metrics
// for every 5-minute window, a drop of accuracy during the shift, a data-drift alert on
// `spend` only after the change point, and an HTML file that opens offline.
// (The `npm start` demo, the whole retraining loop, is test/integration/embedded-demo.test.ts.)
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Report, WindowReport } from '../../shared/report/types.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

interface FixtureWindow {
  start: number;
  end: number;
  labelled: number;
  accuracy: number | null;
  f1: number;
}

interface Fixture {
  scenario: Record<string, unknown> & {
    seed: number;
    count: number;
    eventsPerSecond: number;
    shiftAt: number;
    recoverAt: number;
    labelDelayMs: [number, number];
    unlabelledShare: number;
  };
  windowMs: number;
  changePointTime: number;
  recoveryTime: number;
  windows: FixtureWindow[];
}

const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/e2e/churn-seed7.json'), 'utf8')) as Fixture;

// Labels come up to 60 s after their prediction: with this delay every window is scored
// with all its labels, which is what the fixture computed.
const CONFIG = `models:
  churn:
    task: binary
    positiveLabel: "yes"
    evaluationDelayMs: 70s
    alerts:
      - { metric: "drift:*", minCount: 500 }
      - { metric: accuracy, comparison: below, warning: 0.8, critical: 0.7, for: 2, minCount: 500 }
`;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return run(process.execPath, ['--import', 'tsx', ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('driftwatch replay (embedded services)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-embedded-replay-'));
  const s = fixture.scenario;

  it('replays the fixture scenario into a report that matches scikit-learn and alerts after the change point', async () => {
    await cli([
      'services/cli/main.ts', 'generate',
      '--seed', String(s.seed), '--count', String(s.count), '--events-per-second', String(s.eventsPerSecond),
      '--shift-at', String(s.shiftAt), '--recover-at', String(s.recoverAt),
      '--label-delay', s.labelDelayMs.join(','), '--unlabelled-share', String(s.unlabelledShare),
      '--out', join(dir, 'data'),
    ]);
    const written = JSON.parse(readFileSync(join(dir, 'data', 'scenario.json'), 'utf8')) as { parameters: unknown; changePointTime: number };
    expect(written.parameters).toEqual(fixture.scenario);
    expect(written.changePointTime).toBe(fixture.changePointTime);

    writeFileSync(join(dir, 'monitor.yaml'), CONFIG);
    const { stdout } = await cli([
      'services/cli/main.ts', 'replay',
      '--predictions', join(dir, 'data', 'predictions.jsonl'), '--labels', join(dir, 'data', 'labels.jsonl'),
      '--config', join(dir, 'monitor.yaml'), '--out', join(dir, 'report'),
    ]);
    expect(stdout).toMatch(/Replayed 50000 predictions and \d+ labels/);

    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as Report;
    expect(report.format).toBe('driftwatch-report/1');
    expect(report.run.counts.predictions).toBe(s.count);
    expect(report.run.counts.deadLetters).toEqual({});
    expect(report.run.eventTime?.start).toBe(fixture.windows[0]!.start);
    expect(report.models.map((m) => m.model)).toEqual(['churn']);
    const churn = report.models[0]!;
    expect(churn.versions).toEqual(['1']);

    // Every fixture window the replay evaluated (all but the input's last minutes) equals scikit-learn.
    const fiveMinute = new Map<number, WindowReport>(churn.windows.filter((w) => w.horizon === '5m').map((w) => [w.window.end, w]));
    const compared = fixture.windows.filter((fw) => fiveMinute.has(fw.end));
    expect(compared.length).toBeGreaterThanOrEqual(fixture.windows.length - 1);
    for (const fw of compared) {
      const w = fiveMinute.get(fw.end)!;
      expect(w.window.start).toBe(fw.start);
      expect(w.metrics.count).toBe(fw.labelled);
      expect(w.metrics.accuracy).toBeCloseTo(fw.accuracy!, 9);
      expect(w.metrics.f1).toBeCloseTo(fw.f1, 9);
    }
    const shifted = compared.filter((fw) => fw.start >= fixture.changePointTime && fw.end <= fixture.recoveryTime);
    const before = compared.filter((fw) => fw.end <= fixture.changePointTime);
    expect(shifted.length).toBeGreaterThan(0);
    expect(before.length).toBeGreaterThan(0);
    const worstBefore = Math.min(...before.map((fw) => fiveMinute.get(fw.end)!.metrics.accuracy!));
    const bestShifted = Math.max(...shifted.map((fw) => fiveMinute.get(fw.end)!.metrics.accuracy!));
    expect(bestShifted).toBeLessThan(worstBefore - 0.2);

    const spendFiring = churn.alerts.filter((a) => a.kind === 'DATA_DRIFT' && a.feature === 'spend' && a.status === 'FIRING');
    expect(spendFiring.length).toBeGreaterThan(0);
    for (const alert of spendFiring) expect(alert.window.end).toBeGreaterThan(fixture.changePointTime);
    // Found within the first 5-minute window after the change point, not only eventually.
    expect(spendFiring[0]!.window.end).toBeLessThanOrEqual(fixture.changePointTime + fixture.windowMs);
    const accuracyFiring = churn.alerts.filter((a) => a.kind === 'PERFORMANCE' && a.status === 'FIRING');
    expect(accuracyFiring.length).toBeGreaterThan(0);
    for (const alert of accuracyFiring) expect(alert.window.end).toBeGreaterThan(fixture.changePointTime);

    const html = readFileSync(join(dir, 'report', 'report.html'), 'utf8');
    expect(html).toContain('driftwatch-report/1');
    expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(html).not.toMatch(/<link[^>]*\shref\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import\s+(url\()?["']?https?:/i);
  }, 240_000);
});
