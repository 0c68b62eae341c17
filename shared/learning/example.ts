import type { FeatureRow } from './feature-spec.js';

/** One labelled prediction the retrain learns from: the features it was made on and the label that came later. */
export interface LabelledExample {
  id: string;
  /** Event time of the prediction (ms), which orders the time split. */
  time: number;
  features: FeatureRow;
  label: string;
}
