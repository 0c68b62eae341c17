// Seeded prediction events for throughput benchmarks: 16 numeric and 4 categorical
// features, the shape DESIGN.md's decode measurements used.
import { Codec, type EncodedEvent } from '../../shared/codec/index.js';
import { seededRandom } from '../../shared/stats/window/random.js';

export interface KeyedEvent extends EncodedEvent {
  key: string;
}

export function encodedPredictions(count: number, seed = 1, model = 'bench'): KeyedEvent[] {
  const codec = new Codec();
  const random = seededRandom(seed);
  const plans = ['free', 'pro', 'team', 'enterprise'];
  const start = Date.UTC(2026, 0, 1);
  const events: KeyedEvent[] = [];
  for (let i = 0; i < count; i++) {
    const numericFeatures: Record<string, number> = {};
    for (let f = 0; f < 16; f++) numericFeatures[`n${f}`] = random() * 100;
    const categoricalFeatures: Record<string, string> = {};
    for (let f = 0; f < 4; f++) categoricalFeatures[`c${f}`] = plans[Math.floor(random() * plans.length)]!;
    const p = random();
    const id = `${model}-${seed}-${i}`;
    const encoded = codec.encode('prediction', {
      id,
      model,
      modelVersion: '1',
      eventTime: start + i * 10,
      numericFeatures,
      categoricalFeatures,
      predictedClass: p > 0.5 ? 'yes' : 'no',
      classProbabilities: { yes: p, no: 1 - p },
    });
    events.push({ key: id, ...encoded });
  }
  return events;
}
