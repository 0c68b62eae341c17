// A model as bytes: model.json (topology + weightsManifest pointing at weights.bin, the
// tfjs file format) and weights.bin. Without tfjs-node there is no file:// handler, and the
// ModelStore moves bytes anyway, so saving and loading go through in-memory IO handlers.
import { loadTf, type LayersModel, type io } from './tf.js';

export const WEIGHTS_FILE = 'weights.bin';

export interface ModelArtifacts {
  modelJson: Uint8Array;
  weights: Uint8Array;
}

/** The parts of tfjs's model.json this project reads and writes. */
export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
}

export async function modelToArtifacts(model: LayersModel): Promise<ModelArtifacts> {
  const { tf } = await loadTf();
  let captured: ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      captured = { modelJson: new TextEncoder().encode(JSON.stringify(json)), weights: new Uint8Array(weightData) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weightData.byteLength } };
    }),
  );
  if (captured === null) throw new Error('tfjs did not hand the model artifacts to the save handler');
  return captured;
}

export function parseModelJson(modelJson: Uint8Array): ModelJson {
  const json = JSON.parse(new TextDecoder().decode(modelJson)) as Partial<ModelJson>;
  if (json === null || typeof json !== 'object' || json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new TypeError('model.json lacks modelTopology or weightsManifest: not a tfjs layers model');
  }
  return json as ModelJson;
}

/**
 * Loads a layers model from its bytes. Weight specs carrying a `quantization` field
 * (float16, uint8) are dequantized by tfjs while it decodes them.
 */
export async function modelFromArtifacts(modelJson: Uint8Array, weights: Uint8Array): Promise<LayersModel> {
  const { tf } = await loadTf();
  const json = parseModelJson(modelJson);
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const expected = weightSpecs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * bytesPerValue(spec), 0);
  if (expected !== weights.byteLength) throw new RangeError(`weights.bin has ${weights.byteLength} bytes, model.json describes ${expected}`);
  // Copy into a fresh ArrayBuffer: `weights` may be a view into a larger (pooled) buffer.
  const weightData = weights.slice().buffer;
  const handler: io.IOHandler = {
    load: async () => ({
      modelTopology: json.modelTopology as object,
      weightSpecs,
      weightData,
      ...(json.format === undefined ? {} : { format: json.format }),
    }),
  };
  return tf.loadLayersModel(handler);
}

function bytesPerValue(spec: io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  return dtype === 'uint8' || dtype === 'bool' ? 1 : dtype === 'uint16' || dtype === 'float16' ? 2 : 4;
}
