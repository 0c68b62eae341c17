// Messages a prediction consumer must refuse, each tagged with the CodecError reason the
// codec gives it, for the bad-input test (they go to the DLQ, the service stays up).
// Several are written with avsc directly, bypassing Codec.encode, because the codec would
// refuse to produce them: that is exactly what a buggy or foreign producer does.
import { Codec, DEFAULT_MAX_EVENT_BYTES, SCHEMA_HEADER, type CodecErrorReason, type PredictionInput } from '../codec/index.js';
import { toPredictionEvent } from '../sdk/records.js';
import { createPrng, type Prng } from './prng.js';

export type MalformedKind =
  | 'random-bytes'
  | 'empty-payload'
  | 'label-as-prediction'
  | 'unknown-schema'
  | 'nan-feature'
  | 'oversize'
  | 'empty-model'
  | 'missing-header';

export interface MalformedMessage {
  kind: MalformedKind;
  /** Kafka key (a prediction id), so the message lands in some partition like a real one. */
  key: string;
  value: Buffer;
  headers: Record<string, Buffer>;
  /** What Codec.decode('prediction', value, headers) throws. */
  reason: CodecErrorReason;
}

export interface MalformedOptions {
  model?: string;
  /**
   * The consumer codec's size limit; oversize messages are one byte over it. Kafka refuses
   * messages over ~1 MB by default, so a test that publishes them should configure its
   * services with a smaller limit (e.g. 64 KiB) and pass it here.
   */
  maxEventBytes?: number;
  /** Which kinds to draw (uniformly); default all. */
  kinds?: readonly MalformedKind[];
}

export const MALFORMED_KINDS: readonly MalformedKind[] = [
  'random-bytes',
  'empty-payload',
  'label-as-prediction',
  'unknown-schema',
  'nan-feature',
  'oversize',
  'empty-model',
  'missing-header',
];

/** `n` malformed prediction messages, the same for the same seed. */
export function malformedMessages(seed: number, n: number, options: MalformedOptions = {}): MalformedMessage[] {
  const random = createPrng(seed);
  const model = options.model ?? 'churn';
  const kinds = options.kinds ?? MALFORMED_KINDS;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const codec = new Codec({ maxEventBytes });
  const predictionType = codec.typeOf('prediction');
  const header = { [SCHEMA_HEADER]: predictionType.fingerprint('md5') };
  // Oversize payloads are never parsed, so one shared buffer serves them all.
  let oversize: Buffer | null = null;

  const messages: MalformedMessage[] = [];
  for (let i = 0; i < n; i++) {
    const kind = kinds[Math.floor(random.next() * kinds.length)]!;
    const key = `${model}-bad-${seed}-${i}`;
    const valid = validPrediction(random, model, key);
    switch (kind) {
      case 'random-bytes':
        messages.push({ kind, key, value: garbage(random, codec, header), headers: header, reason: 'MALFORMED' });
        break;
      case 'empty-payload':
        messages.push({ kind, key, value: Buffer.alloc(0), headers: header, reason: 'MALFORMED' });
        break;
      case 'label-as-prediction': {
        const label = codec.encode('label', { predictionId: key, model, eventTime: valid.eventTime, trueClass: 'yes' });
        messages.push({ kind, key, value: label.value, headers: label.headers, reason: 'WRONG_SCHEMA' });
        break;
      }
      case 'unknown-schema': {
        const fingerprint = Buffer.from(Array.from({ length: 16 }, () => random.int(0, 255)));
        messages.push({ kind, key, value: codec.encode('prediction', valid).value, headers: { [SCHEMA_HEADER]: fingerprint }, reason: 'UNKNOWN_SCHEMA' });
        break;
      }
      case 'nan-feature': {
        const value = predictionType.toBuffer({ ...valid, numericFeatures: { ...valid.numericFeatures, spend: Number.NaN } });
        messages.push({ kind, key, value, headers: header, reason: 'NON_FINITE' });
        break;
      }
      case 'oversize':
        oversize ??= Buffer.alloc(maxEventBytes + 1, 0x41);
        messages.push({ kind, key, value: oversize, headers: header, reason: 'OVERSIZE' });
        break;
      case 'empty-model':
        messages.push({ kind, key, value: predictionType.toBuffer({ ...valid, model: '' }), headers: header, reason: 'INVALID' });
        break;
      case 'missing-header':
        messages.push({ kind, key, value: codec.encode('prediction', valid).value, headers: {}, reason: 'MISSING_SCHEMA_HEADER' });
        break;
    }
  }
  return messages;
}

function validPrediction(random: Prng, model: string, id: string): Required<PredictionInput> {
  const yes = Math.round(random.next() * 1e6) / 1e6;
  return toPredictionEvent({
    id,
    model,
    modelVersion: '1',
    time: Date.UTC(2026, 0, 1) + random.int(0, 3_600_000),
    features: { tenure: random.uniform(0, 72), spend: random.normal(70, 20), plan: 'pro', mobile: random.chance(0.5) },
    predictedClass: yes >= 0.5 ? 'yes' : 'no',
    probabilities: { yes, no: 1 - yes },
  }) as Required<PredictionInput>;
}

/**
 * Random bytes under a valid prediction header. Random bytes occasionally decode into
 * something (Avro has no magic number), so a draw that the codec does not refuse as
 * MALFORMED is replaced: the tag must be true.
 */
function garbage(random: Prng, codec: Codec, headers: Record<string, Buffer>): Buffer {
  for (;;) {
    const bytes = Buffer.from(Array.from({ length: random.int(1, 200) }, () => random.int(0, 255)));
    try {
      codec.decode('prediction', bytes, headers);
    } catch (error) {
      if ((error as { reason?: string }).reason === 'MALFORMED') return bytes;
    }
  }
}
