// The monitoring and retrain settings of the `npm start` demo.
//
// Why the numbers differ from the production defaults (docs/config.md,
// docs/design/retraining.md): the demo has to show a whole drift → alert → retrain →
// hot-swap → verification loop in about a minute and a half of wall time, at ~200
// predictions per second. Production sizes its windows and waits for traffic measured in
// minutes and hours, where a few seconds of latency cost nothing and a false retrain costs
// a lot. Here:
//   - bucketMs 1 s and horizons 5 s / 30 s (production 10 s, 5m/1h/24h): at 200/s a 5-second
//     window already holds ~1,000 predictions, more than a quiet production model gets in
//     5 minutes, so accuracy on it is measured to about ±1.5 %. Short windows matter twice:
//     the retrainer takes the trigger alert's window start as the start of the drift, and with
//     10-second windows that start fell ~4 s before the real switch, so a fifth of v2's
//     training set still had the old concept's labels (v2 0.88, NOT_RECOVERED; with 5 s, 0.97);
//   - the default drift rules judge a window from 1,000 predictions on, which a 5-second window
//     just reaches; they get `for: 2` here, since a feature crossed its 0.1 threshold by chance
//     in one window (there is no data drift in this demo, only concept drift);
//   - evaluationDelayMs 2.5 s, lateness 1 s, label horizon 1 min: labels come 0.5–2 s after
//     their prediction here (minutes to days in production);
//   - one PERFORMANCE rule on accuracy (warning 0.9, critical 0.85, for 2 evaluations), and only
//     its CRITICAL alert triggers a retrain (production also retrains on concept drift and on
//     dataset drift): a single, explainable trigger keeps the demo deterministic;
//   - debounce 15 s (production 10 s), cooldown 30 s (production 10 min), retrain window 3 min
//     (production 1 h): the retrain waits for labelled examples of the new regime (~3,000 of
//     them by the time it reads the log; with ~2,000, v2 reached 0.92 against a 0.98 baseline
//     and was NOT_RECOVERED), then reads only the demo's recent past;
//   - minExamples 500, verifyAfter 400 (production 500 / 500), and a smaller grid with larger
//     steps (learning rate 0.01 / 0.03 × 10 / 20 epochs, no L2 axis; production 0.003 / 0.01 ×
//     5 / 15 × two L2s): a few thousand examples fine-tune in ~10 s; with smaller steps
//     (0.001 / 0.003 × 5 / 15) v2 reached 0.90 against a 0.98 baseline on the same kind of data.
import type { MonitoringConfigInput } from '../../shared/config/monitoring-config.js';

export interface DemoSchedule {
  /** Seconds the retrainer waits after the first trigger (more labels of the new regime arrive). */
  debounceS: number;
  /** Labelled predictions of the new version before the verification verdict. */
  verifyAfter: number;
}

export const DEFAULT_DEMO_SCHEDULE: DemoSchedule = { debounceS: 15, verifyAfter: 400 };

export function demoMonitoring(model: string, positiveLabel: string, schedule: DemoSchedule = DEFAULT_DEMO_SCHEDULE): MonitoringConfigInput {
  return {
    models: {
      [model]: {
        task: 'binary',
        positiveLabel,
        bucketMs: '1s',
        horizons: ['5s', '30s'],
        evaluationHorizon: '5s',
        allowedLatenessMs: '1s',
        evaluationDelayMs: '2500ms',
        labelHorizonMs: '1m',
        reference: { size: 2000 },
        alerts: [
          { metric: 'accuracy', comparison: 'below', warning: 0.9, critical: 0.85, for: 2, minCount: 300 },
          { metric: 'drift:*', minCount: 1000, for: 2 },
          { metric: 'prediction_drift', minCount: 1000, for: 2 },
          { metric: 'dataset_drift_share', minCount: 1000, for: 2 },
        ],
        retrain: {
          triggers: [{ kind: 'PERFORMANCE', metric: 'accuracy', minSeverity: 'CRITICAL' }],
          debounce: `${schedule.debounceS}s`,
          cooldown: '30s',
          window: '3m',
          minExamples: 500,
          preDriftShare: 0.1,
          margin: 0.02,
          grid: { learningRate: [0.01, 0.03], epochs: [10, 20], l2: [0] },
          verifyAfter: schedule.verifyAfter,
          recoveryTolerance: 0.05,
        },
      },
    },
  };
}
