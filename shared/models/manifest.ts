// What a stored model version is: its lineage, the data it learned from, how it scored,
// and the checksum of every file. Written once by the retrain, read by everyone who loads
// or judges the version, so it is validated on the way in (parseManifest).
import { z } from 'zod';
import type { FeatureProfile } from '../codec/events.generated.js';
import { specWidth, type FeatureSpec } from '../learning/feature-spec.js';
import type { GridRow } from '../learning/grid-search.js';

export type VariantPrecision = 'float32' | 'float16' | 'uint8';

export interface VariantParity {
  /** Share of test examples where the variant predicts the float32 model's class. */
  classAgreement: number;
  maxProbabilityDiff: number;
  /** Variant's promotion metric minus the float32 model's, on the test split. */
  metricDelta: number;
}

export interface ModelVariant {
  precision: VariantPrecision;
  /** Paths relative to the version directory. */
  modelJson: string;
  weights: string;
  bytes: number;
  parity?: VariantParity;
}

export interface SplitRange {
  size: number;
  from: number;
  to: number;
}

export interface FileEntry {
  sha256: string;
  bytes: number;
}

export interface ModelManifest {
  model: string;
  version: string;
  parentVersion: string | null;
  task: 'classification';
  classes: string[];
  featureSpec: FeatureSpec;
  trainingProfile: FeatureProfile[];
  split: { train: SplitRange; validation: SplitRange; test: SplitRange };
  metrics: { train: Record<string, number>; validation: Record<string, number>; test: Record<string, number> };
  hyperparameters: Record<string, number | string>;
  search: GridRow[];
  backend: string;
  createdAt: number;
  /** Every file of the version but manifest.json, by path relative to the version directory. */
  files: Record<string, FileEntry>;
  variants: ModelVariant[];
}

// NaN metrics (an empty class, say) serialize as null in JSON; they read back as NaN.
const metricValue = z.union([z.number(), z.nan(), z.null()]).transform((v) => (v === null ? Number.NaN : v));
const metricRecord = z.record(z.string(), metricValue);
const finite = z.number().finite();
const count = z.number().int().nonnegative();

const featureColumn = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('numeric'), name: z.string().min(1), mean: finite, std: finite.positive() }),
  z.object({ kind: z.literal('categorical'), name: z.string().min(1), vocabulary: z.array(z.string()) }),
  z.object({ kind: z.literal('boolean'), name: z.string().min(1) }),
]);

const featureSpec = z.object({ columns: z.array(featureColumn), width: count });

const featureProfile = z.object({
  feature: z.string(),
  type: z.enum(['NUMERIC', 'CATEGORICAL', 'BOOLEAN']),
  binEdges: z.array(finite),
  counts: z.array(z.number().nonnegative()),
  categories: z.record(z.string(), z.number().nonnegative()),
  missing: z.number().nonnegative(),
});

const splitRange = z.object({ size: count, from: finite, to: finite });

const gridRow = z.object({
  learningRate: finite,
  epochs: count,
  l2: finite,
  validationMetric: metricValue,
  validationLoss: metricValue,
  stoppedEpoch: count,
  seconds: z.number().nonnegative(),
});

const precision = z.enum(['float32', 'float16', 'uint8']);

const variant = z.object({
  precision,
  modelJson: z.string().min(1),
  weights: z.string().min(1),
  bytes: count,
  parity: z.object({ classAgreement: metricValue, maxProbabilityDiff: metricValue, metricDelta: metricValue }).optional(),
});

export const manifestSchema = z.object({
  model: z.string().min(1),
  version: z.string().regex(/^[1-9]\d*$/, 'a version is a positive integer'),
  parentVersion: z.string().nullable(),
  task: z.literal('classification'),
  classes: z.array(z.string()).min(2),
  featureSpec,
  trainingProfile: z.array(featureProfile),
  split: z.object({ train: splitRange, validation: splitRange, test: splitRange }),
  metrics: z.object({ train: metricRecord, validation: metricRecord, test: metricRecord }),
  hyperparameters: z.record(z.string(), z.union([finite, z.string()])),
  search: z.array(gridRow),
  backend: z.string(),
  createdAt: count,
  files: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits'), bytes: count })),
  variants: z.array(variant),
});

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

/** Validates a manifest (parsed JSON or its text); the error lists every problem with its path. */
export function parseManifest(json: unknown): ModelManifest {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new ManifestError(`manifest is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ManifestError(`invalid model manifest: ${problems.join('; ')}`);
  }
  const manifest = parsed.data as ModelManifest;
  const width = specWidth(manifest.featureSpec.columns);
  if (width !== manifest.featureSpec.width) throw new ManifestError(`invalid model manifest: featureSpec.width is ${manifest.featureSpec.width} but its columns encode ${width} values`);
  return manifest;
}
