// The `npm start` demo's loop, in this process and embedded (MemoryBus + MemoryKeyspace, a
// temporary model store), on a shorter schedule than the CLI's defaults: v1 is trained and
// promoted, the concept switches, the accuracy rule fires, the retrainer promotes v2, the
// app's ModelWatcher hot-swaps to it and the verification says RECOVERED, in that order, and
// the run finishes without an error (every service, the watcher and the bus closed).
import { describe, expect, it } from 'vitest';
import { readDemoOptions, runDemo } from '../../services/embedded/demo.js';

describe('npm start demo (embedded, in process)', () => {
  it('shows v1 promoted → alert → v2 promoted → hot swap → verification RECOVERED, then finishes', async () => {
    const options = readDemoOptions([], {
      DW_MODE: 'embedded',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DEMO_DRIFT_AFTER: '10',
      DEMO_BOOTSTRAP_ROWS: '2000',
      DEMO_DEBOUNCE: '12',
      DEMO_TAIL: '1',
      DEMO_DEADLINE: '80',
      DEMO_PROGRESS_EVERY: '5',
      DW_CONSOLE_PORT: '0',
    });
    expect(options.serve).toBe(false);
    const lines: string[] = [];
    // The dashboard runs on the loop's bus: asked while the verdict is printed, it shows the loop.
    let dashboard: string | undefined;
    type ModelList = { models: { model: string; champion: string | null; versions: string[] }[] };
    let atVerdict: Promise<ModelList> | undefined;
    const started = Date.now();
    const result = await runDemo(options, (line) => {
      lines.push(line);
      dashboard ??= /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
      if (dashboard && /verification RECOVERED/.test(line)) atVerdict ??= fetch(`${dashboard}api/models`).then((r) => r.json() as Promise<{ models: { model: string; champion: string | null; versions: string[] }[] }>);
    });
    const seconds = (Date.now() - started) / 1000;
    const output = lines.join('\n');

    expect(result.reason, output).toBe('verification RECOVERED');
    expect(result.completed).toBe(true);
    expect(seconds).toBeLessThan(100);

    // The sequence, as printed.
    const at = (pattern: RegExp): number => {
      const index = lines.findIndex((line) => pattern.test(line));
      expect(index, `no line matches ${pattern}:\n${output}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    const order = [
      at(/v1 PROMOTED \(bootstrap\)/),
      at(/>>> concept switch/),
      at(/alert FIRING CRITICAL PERFORMANCE accuracy v1/),
      at(/retrain started/),
      at(/v2 CANDIDATE/),
      at(/v2 PROMOTED/),
      at(/hot-swapped to v2 \(from v1\)/),
      at(/verification RECOVERED/),
      at(/^Incident .* status RECOVERED/),
    ];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(at(/dashboard: http:\/\/127\.0\.0\.1:\d+\//)).toBeLessThan(order[0]!);
    expect((await atVerdict!).models).toEqual([expect.objectContaining({ model: 'sim', champion: '2', versions: ['1', '2'] })]);

    // The same, from what the loop saw on the topics.
    expect(result.bootstrapVersion).toBe('1');
    const critical = result.alerts.find((a) => a.kind === 'PERFORMANCE' && a.status === 'FIRING' && a.severity === 'CRITICAL');
    expect(critical?.modelVersion).toBe('1');
    const promoted = result.modelEvents.find((e) => e.status === 'PROMOTED' && e.version === '2');
    expect(promoted).toBeDefined();
    expect(promoted!.challengerMetrics.accuracy!).toBeGreaterThan(promoted!.championMetrics.accuracy! + 0.02);
    expect(result.modelEvents.filter((e) => e.version === '2').map((e) => e.status)).toEqual(['CANDIDATE', 'PROMOTED']);
    expect(result.swaps.map((s) => [s.from, s.to])).toEqual([['1', '2']]);

    const incident = result.verified!;
    expect(incident.status).toBe('RECOVERED');
    expect(incident.championVersion).toBe('1');
    expect(incident.challengerVersion).toBe('2');
    expect(incident.triggers.map((t) => t.kind)).toContain('PERFORMANCE');
    expect(incident.diagnosis?.metricBefore).toBeGreaterThan(incident.diagnosis!.metricDuring!);
    expect(incident.search.length).toBeGreaterThan(0);
    const v = incident.verification!;
    expect(v.labelled).toBeGreaterThanOrEqual(options.schedule!.verifyAfter);
    expect(v.observed!).toBeGreaterThanOrEqual(v.baseline! - v.tolerance);

    // Milestones in time order, and the app's accuracy fell and came back.
    const t = result.timings;
    expect(t.drift!).toBeLessThan(t.firstAlert!);
    expect(t.firstAlert!).toBeLessThan(t['promoted:v2']!);
    expect(t['promoted:v2']!).toBeLessThanOrEqual(t['swap:v2']!);
    expect(t['swap:v2']!).toBeLessThan(t['incident:recovered']!);
    expect(result.accuracy.lowest!).toBeLessThan(0.85);
    expect(result.accuracy.end!).toBeGreaterThan(result.accuracy.lowest! + 0.1);
  }, 110_000);
});
