import { describe, expect, it } from 'vitest';
import type { Batch, BusMessage } from '../../../shared/bus/types.js';
import { Codec, SCHEMA_HEADER } from '../../../shared/codec/index.js';
import type { CodecErrorReason, PredictionInput } from '../../../shared/codec/index.js';
import { decodeBatch, groupByModel } from '../../../shared/runtime/decode.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

const codec = new Codec({ maxEventBytes: 4_096 });
const predictionHeader = codec.encode('prediction', SAMPLE_EVENTS.prediction).headers;

function message(offset: number, value: Buffer | null, headers: Record<string, Buffer> = predictionHeader): BusMessage {
  return { topic: 'dw.predictions', partition: 1, offset, key: null, value, headers, timestamp: 0 };
}

function batchOf(messages: BusMessage[]): Batch {
  return { topic: 'dw.predictions', partition: 1, messages, lastOffset: messages.at(-1)!.offset };
}

const valid = (id: string, model = 'churn'): Buffer =>
  codec.encode('prediction', { ...SAMPLE_EVENTS.prediction, id, model } satisfies PredictionInput).value;

/** One message per refusal reason, each built the way a real producer could get it wrong. */
const MALFORMED: Record<CodecErrorReason, () => BusMessage> = {
  OVERSIZE: () => message(0, Buffer.alloc(5_000, 1)),
  MISSING_SCHEMA_HEADER: () => message(0, valid('no-header'), {}),
  UNKNOWN_SCHEMA: () => message(0, valid('unknown'), { [SCHEMA_HEADER]: Buffer.alloc(16, 7) }),
  WRONG_SCHEMA: () => {
    const label = codec.encode('label', SAMPLE_EVENTS.label);
    return message(0, label.value, label.headers);
  },
  MALFORMED: () => message(0, Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37])),
  // The codec refuses to write these, so they are written with the raw Avro type, as a foreign producer would.
  NON_FINITE: () =>
    message(0, codec.typeOf('prediction').toBuffer({ ...SAMPLE_EVENTS.prediction, numericFeatures: { tenure: Number.NaN } })),
  INVALID: () => message(0, codec.typeOf('prediction').toBuffer({ ...SAMPLE_EVENTS.prediction, model: '' })),
};

describe('decodeBatch', () => {
  it('splits every refusal reason from the valid events, keeping offset order in both', () => {
    const reasons = Object.keys(MALFORMED) as CodecErrorReason[];
    const messages: BusMessage[] = [];
    const expectedDead: { offset: number; reason: CodecErrorReason }[] = [];
    const expectedIds: string[] = [];
    let offset = 100;
    for (const reason of reasons) {
      expectedIds.push(`ok-${offset}`);
      messages.push(message(offset, valid(`ok-${offset}`)));
      offset++;
      messages.push({ ...MALFORMED[reason](), offset });
      expectedDead.push({ offset, reason });
      offset++;
    }

    const { events, dead } = decodeBatch(batchOf(messages), 'prediction', codec);

    expect(events.map((e) => e.event.id)).toEqual(expectedIds);
    expect(events.map((e) => e.message.offset)).toEqual(expectedIds.map((id) => Number(id.slice(3))));
    expect(dead.map((d) => ({ offset: d.message.offset, reason: d.error.reason }))).toEqual(expectedDead);
    for (const d of dead) expect(d.error.message.length).toBeGreaterThan(d.error.reason.length);
  });

  it("the 'withoutFeatures' view gives the same split, with predictions lacking only their features", () => {
    const messages: BusMessage[] = [];
    let offset = 0;
    for (const reason of Object.keys(MALFORMED) as CodecErrorReason[]) {
      messages.push(message(offset++, valid(`ok-${offset}`)), { ...MALFORMED[reason](), offset: offset++ });
    }
    const full = decodeBatch(batchOf(messages), 'prediction', codec);
    const view = decodeBatch(batchOf(messages), 'prediction', codec, 'withoutFeatures');
    expect(view.dead.map((d) => [d.message.offset, d.error.message])).toEqual(full.dead.map((d) => [d.message.offset, d.error.message]));
    expect(view.events.map((e) => e.message.offset)).toEqual(full.events.map((e) => e.message.offset));
    for (const [i, { event }] of view.events.entries()) {
      const { numericFeatures, categoricalFeatures, booleanFeatures, missingFeatures, ...rest } = full.events[i]!.event;
      expect(numericFeatures).toEqual(SAMPLE_EVENTS.prediction.numericFeatures);
      expect({ ...event }).toEqual(rest);
      expect(event).not.toHaveProperty('numericFeatures');
      void [categoricalFeatures, booleanFeatures, missingFeatures];
    }
    // Labels are read as always.
    const label = codec.encode('label', SAMPLE_EVENTS.label);
    const labels = decodeBatch(batchOf([message(0, label.value, label.headers)]), 'label', codec, 'withoutFeatures');
    expect(labels.events.map((e) => e.event.predictionId)).toEqual([SAMPLE_EVENTS.label.predictionId]);
  });

  it('refuses a null value (a tombstone) as MALFORMED instead of throwing', () => {
    const { events, dead } = decodeBatch(batchOf([message(5, null)]), 'prediction', codec);
    expect(events).toEqual([]);
    expect(dead.map((d) => d.error.reason)).toEqual(['MALFORMED']);
  });

  it('lets an error that is not a CodecError fail the batch', () => {
    const broken = { decode: () => { throw new TypeError('bug'); } } as unknown as Codec;
    expect(() => decodeBatch(batchOf([message(1, valid('x'))]), 'prediction', broken)).toThrow(TypeError);
  });
});

describe('groupByModel', () => {
  it('groups by model and keeps each group in input order', () => {
    const messages = ['a', 'b', 'a', 'c', 'b', 'a'].map((model, i) => message(i, valid(`id-${i}`, model)));
    const { events } = decodeBatch(batchOf(messages), 'prediction', codec);
    const groups = groupByModel(events);
    expect([...groups.keys()]).toEqual(['a', 'b', 'c']);
    expect(groups.get('a')!.map((e) => e.event.id)).toEqual(['id-0', 'id-2', 'id-5']);
    expect(groups.get('b')!.map((e) => e.message.offset)).toEqual([1, 4]);
    expect(groups.get('c')!.map((e) => e.event.id)).toEqual(['id-3']);
  });
});
