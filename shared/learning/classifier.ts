// A stored model version ready to predict: the network plus the manifest's feature spec
// and classes, so callers pass raw feature rows and get class names back.
import type { ModelManifest, VariantPrecision } from '../models/manifest.js';
import type { ModelStore } from '../models/model-store.js';
import { modelFromArtifacts, WEIGHTS_FILE } from './artifacts.js';
import { encodeRows, type FeatureRow } from './feature-spec.js';
import { argmaxRow, predictProbabilities } from './scoring.js';
import { loadTf, type LayersModel, type Tf } from './tf.js';

export interface Prediction {
  predictedClass: string;
  probabilities: Record<string, number>;
}

export class Classifier {
  private disposed = false;

  constructor(
    private readonly tf: Tf,
    private readonly model: LayersModel,
    readonly manifest: ModelManifest,
    readonly precision: VariantPrecision,
  ) {}

  get version(): string {
    return this.manifest.version;
  }

  predict(row: FeatureRow): Prediction {
    return this.predictBatch([row])[0] as Prediction;
  }

  predictBatch(rows: readonly FeatureRow[]): Prediction[] {
    if (this.disposed) throw new Error(`classifier ${this.manifest.model}@${this.manifest.version} is disposed`);
    const { featureSpec: spec, classes } = this.manifest;
    const probabilities = predictProbabilities(this.tf, this.model, encodeRows(spec, rows), spec.width);
    return rows.map((_, i) => {
      const map: Record<string, number> = {};
      classes.forEach((c, k) => (map[c] = probabilities[i * classes.length + k] as number));
      return { predictedClass: classes[argmaxRow(probabilities, i, classes.length)] as string, probabilities: map };
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}

export interface LoadClassifierOptions {
  /** Which weights to load; default float32. */
  variant?: VariantPrecision;
}

/** Loads a version through the store, which refuses files whose sha256 does not match. */
export async function loadClassifier(store: ModelStore, model: string, version: string, options: LoadClassifierOptions = {}): Promise<Classifier> {
  const { tf } = await loadTf();
  const manifest = await store.manifest(model, version);
  const precision = options.variant ?? 'float32';
  const paths = artifactPaths(manifest, precision);
  const [modelJson, weights] = await Promise.all([store.readFile(model, version, paths.modelJson), store.readFile(model, version, paths.weights)]);
  return new Classifier(tf, await modelFromArtifacts(modelJson, weights), manifest, precision);
}

function artifactPaths(manifest: ModelManifest, precision: VariantPrecision): { modelJson: string; weights: string } {
  const variant = manifest.variants.find((v) => v.precision === precision);
  if (variant) return { modelJson: variant.modelJson, weights: variant.weights };
  if (precision === 'float32') return { modelJson: 'model.json', weights: WEIGHTS_FILE };
  throw new RangeError(`model ${manifest.model} version ${manifest.version} has no ${precision} variant (has: ${manifest.variants.map((v) => v.precision).join(', ') || 'none'})`);
}
