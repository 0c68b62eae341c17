// A small report with hostile strings in every place input data can reach.
import type { Alert } from '../../../shared/codec/index.js';
import { REPORT_FORMAT, type Report, type WindowReport } from '../../../shared/report/types.js';

export const HOSTILE = '<script>alert("x")</script><img src=https://evil.example/x.png>';

export function sampleReport(): Report {
  const start = Date.UTC(2026, 0, 1);
  const windows: WindowReport[] = [];
  for (let i = 1; i <= 6; i++) {
    const end = start + i * 300_000;
    for (const [horizon, horizonMs] of [['5m', 300_000], ['1h', 3_600_000]] as const) {
      windows.push({
        modelVersion: '1',
        horizon,
        horizonMs,
        window: { start: end - horizonMs, end, count: 6000 + i },
        labelCoverage: i === 1 ? null : 0.95,
        metrics: i === 1 ? {} : { accuracy: 0.9 - i / 100, f1: 0.57 + i / 1000, f1_macro: 0.75 },
        drift: [
          { feature: 'spend', statistic: 'wasserstein', value: i > 3 ? 0.8 : 0.02, threshold: 0.1, drifted: i > 3, pValue: null },
          { feature: HOSTILE, statistic: 'psi', value: 0.01 * i, threshold: 0.1, drifted: false, pValue: null },
        ],
      });
    }
  }
  const alert = (status: Alert['status'], i: number): Alert => ({
    id: `churn|1|DATA_DRIFT|wasserstein|spend@${start + i * 300_000}`,
    key: 'churn|1|DATA_DRIFT|wasserstein|spend',
    model: 'churn',
    modelVersion: '1',
    kind: 'DATA_DRIFT',
    status,
    severity: 'WARNING',
    metric: 'wasserstein',
    feature: 'spend',
    value: 0.8,
    threshold: 0.1,
    window: { start: start + (i - 1) * 300_000, end: start + i * 300_000, count: 6000 },
    detector: null,
    message: status === 'FIRING' ? `spend drifted ${HOSTILE}` : 'spend is back to normal',
    time: start + i * 300_000 + 5,
    details: {},
  });
  return {
    format: REPORT_FORMAT,
    run: {
      generatedAt: start + 10_000_000,
      durationMs: 1234,
      inputs: { predictions: `/tmp/${HOSTILE}.jsonl`, labels: 'labels.csv', config: null },
      counts: { predictions: 36_000, labels: 34_000, deadLetters: { NON_FINITE: 2 } },
      eventTime: { start, end: start + 1_800_000 },
      notes: [`model churn: no config ${HOSTILE}`],
    },
    models: [{ model: `churn${HOSTILE}`, versions: ['1'], windows, alerts: [alert('FIRING', 4), alert('RESOLVED', 6)] }],
  };
}
