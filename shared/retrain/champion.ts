// The champion a retrain starts from.
import type { ModelManifest } from '../models/manifest.js';

export interface Champion {
  version: string;
  /** Null when the version's artifacts are not in this model store (a model trained elsewhere). */
  manifest: ModelManifest | null;
}
