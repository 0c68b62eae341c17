// Renders, when a prediction is seen, what its outcome will add once its label comes: the
// statistics stay in TypeScript (shared/stats/window) and the join script only picks.
import type { PredictionWithoutFeatures } from '../codec/codec.js';
import type { Prediction } from '../codec/events.generated.js';
import { ConfusionMatrix } from '../stats/window/confusion-matrix.js';
import { OUTCOME_CLASS_PLACEHOLDER } from './types.js';
import type { OutcomeTemplate } from './types.js';

export interface OutcomeTemplateOptions {
  /** Classes the model is known to predict (config, earlier labels): each gets its own counters. */
  knownClasses?: Iterable<string>;
  /** Score bins of the confusion matrix; writer and reader must agree (default 100). */
  scoreBins?: number;
}

/**
 * Classification (the prediction has a class): per candidate true class — the predicted
 * class, every class with a probability, and `knownClasses` — the counters of
 * `ConfusionMatrix.update(trueClass, predicted, probabilities)`; plus a fallback rendered
 * with OUTCOME_CLASS_PLACEHOLDER as the true class. A true class outside the candidates
 * has probability 0 and is never the predicted one, so its counters differ from the
 * fallback's only in that name, which the join substitutes (escaped as joinField does).
 * Regression (a value and no class): the predicted value; the join computes the sums.
 * Features are never read: the performance service passes its view without them.
 */
export function outcomeTemplate(prediction: PredictionWithoutFeatures | Prediction, options: OutcomeTemplateOptions = {}): OutcomeTemplate {
  const predicted = prediction.predictedClass;
  if (predicted === null) {
    if (prediction.predictedValue === null || !Number.isFinite(prediction.predictedValue)) {
      throw new RangeError(`prediction ${prediction.id} has neither a class nor a finite value`);
    }
    return { kind: 'regression', predicted: prediction.predictedValue };
  }
  const probabilities = Object.keys(prediction.classProbabilities).length > 0 ? prediction.classProbabilities : null;
  const render = (trueClass: string): Record<string, number> => {
    const matrix = new ConfusionMatrix(options.scoreBins === undefined ? {} : { scoreBins: options.scoreBins });
    matrix.update(trueClass, predicted, probabilities);
    return matrix.toCounters();
  };
  const candidates = new Set<string>([predicted, ...Object.keys(prediction.classProbabilities), ...(options.knownClasses ?? [])]);
  // fromEntries defines own properties, so even a class named "__proto__" stays a plain key.
  const byClass = Object.fromEntries([...candidates].map((trueClass) => [trueClass, render(trueClass)]));
  return { kind: 'classification', predictedClass: predicted, byClass, fallback: render(OUTCOME_CLASS_PLACEHOLDER) };
}
