// Smaller copies of a model's weights, in the format tfjs-converter writes: each weight
// spec keeps dtype float32 and gains a `quantization` field, and weights.bin holds the
// narrow values. tfjs dequantizes such specs while loading, so nothing else changes. Works
// on bytes alone (no tfjs), which keeps it testable and cheap.
import { parseModelJson, WEIGHTS_FILE, type ModelArtifacts, type ModelJson } from './artifacts.js';

export type Precision = 'float16' | 'uint8';

type WeightSpec = ModelJson['weightsManifest'][number]['weights'][number];

export function quantizeArtifacts(artifacts: ModelArtifacts, precision: Precision): ModelArtifacts {
  const json = parseModelJson(artifacts.modelJson);
  const source = new DataView(artifacts.weights.buffer, artifacts.weights.byteOffset, artifacts.weights.byteLength);
  const chunks: Uint8Array[] = [];
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const spec of json.weightsManifest.flatMap((group) => group.weights)) {
    if (spec.quantization) throw new TypeError(`weight ${spec.name} is already quantized (${spec.quantization.dtype})`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32') {
      // Integer and boolean weights keep their bytes: quantizing them would change values.
      const bytes = size * (spec.dtype === 'bool' ? 1 : 4);
      chunks.push(artifacts.weights.slice(offset, offset + bytes));
      specs.push(spec);
      offset += bytes;
      continue;
    }
    if (offset + size * 4 > source.byteLength) throw new RangeError(`weights.bin ends before weight ${spec.name}`);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = source.getFloat32(offset + i * 4, true);
    offset += size * 4;
    const quantized = precision === 'float16' ? toFloat16(values) : toUint8(values);
    chunks.push(quantized.bytes);
    specs.push({ ...spec, quantization: quantized.quantization });
  }
  if (offset !== source.byteLength) throw new RangeError(`weights.bin has ${source.byteLength - offset} bytes beyond its weight specs`);
  const out: ModelJson = { ...json, weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }] };
  return { modelJson: new TextEncoder().encode(JSON.stringify(out)), weights: concat(chunks) };
}

interface Quantized {
  bytes: Uint8Array;
  quantization: NonNullable<WeightSpec['quantization']>;
}

/** Affine uint8: value ≈ q · scale + min, as tfjs-converter's "uint8" quantization. */
function toUint8(values: Float32Array): Quantized {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) min = max = 0;
  // A constant weight needs no steps; any positive scale decodes q = 0 back to min.
  const scale = max > min ? (max - min) / 255 : 1;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.round(((values[i] as number) - min) / scale)));
  return { bytes, quantization: { dtype: 'uint8', scale, min } };
}

function toFloat16(values: Float32Array): Quantized {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, float16Bits(values[i] as number), true);
  return { bytes, quantization: { dtype: 'float16' } };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float32, rounded to nearest even (overflow → ±Infinity). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa right, rounding to nearest even.
    if (e < -10) return sign;
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the correct rounding too.
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1;
  return sign | h;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
