// runReplay in process on a small scenario: the report's shape and counts, and the two
// ways a replay stops early (an input error, an abort).
import { describe, expect, it } from 'vitest';
import { runReplay } from '../../../services/embedded/replay.js';
import type { ReplayProgress } from '../../../shared/report/replay.js';
import { generateScenario } from '../../../shared/sim/scenario.js';

const scenario = generateScenario({ seed: 3, count: 4_000, eventsPerSecond: 20, shiftAt: null });

describe('runReplay', () => {
  it('reports the windows the services evaluated, with counts, event-time range and notes', async () => {
    const progress: ReplayProgress[] = [];
    const report = await runReplay({
      predictions: scenario.predictions,
      labels: scenario.labels,
      sources: { predictions: 'p.jsonl', labels: 'l.jsonl' },
      onProgress: (p) => progress.push(p),
    });
    expect(report.run.counts).toEqual({ predictions: 4_000, labels: scenario.labels.length, deadLetters: {} });
    expect(report.run.inputs).toEqual({ predictions: 'p.jsonl', labels: 'l.jsonl', config: null });
    expect(report.run.eventTime).toEqual({
      start: scenario.predictions[0]!.time,
      end: Math.max(scenario.predictions.at(-1)!.time as number, scenario.labels.at(-1)!.time as number),
    });
    expect(report.run.notes).toContain('model churn: no config, defaults inferred');
    const [churn] = report.models;
    expect(churn!.model).toBe('churn');
    const fiveMinute = churn!.windows.filter((w) => w.horizon === '5m');
    expect(fiveMinute.length).toBeGreaterThan(10);
    const last = fiveMinute.at(-1)!;
    expect(last.window.end - last.window.start).toBe(300_000);
    expect(last.metrics.accuracy).toBeGreaterThan(0.8);
    expect(last.drift.map((d) => d.feature)).toContain('spend');
    // Defaults: alerts are judged on 5m windows; drift rules on windows of at least 1,000 predictions.
    expect(churn!.evaluationHorizon).toBe('5m');
    expect(churn!.driftMinCount).toEqual({ '*': 1000, '@prediction': 1000 });
    expect(progress.at(-1)).toEqual({ stage: 'done', predictions: 4_000, labels: scenario.labels.length });
    expect(progress.some((p) => p.stage === 'replaying' && p.predictions > 0 && p.predictions < 4_000)).toBe(true);
  });

  it('lets an input error reject the replay unchanged', async () => {
    const failure = new Error('p.jsonl:3: broken');
    async function* predictions() {
      yield* scenario.predictions.slice(0, 2);
      throw failure;
    }
    await expect(runReplay({ predictions: predictions(), labels: [] })).rejects.toBe(failure);
  });

  it('stops and rejects when aborted', async () => {
    const controller = new AbortController();
    const replay = runReplay({
      predictions: scenario.predictions,
      labels: scenario.labels,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.predictions > 0) controller.abort(new Error('interrupted'));
      },
    });
    await expect(replay).rejects.toThrow('interrupted');
  });
});
