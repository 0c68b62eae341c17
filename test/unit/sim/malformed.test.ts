import { describe, expect, it } from 'vitest';
import { Codec, CodecError } from '../../../shared/codec/index.js';
import { MALFORMED_KINDS, malformedMessages } from '../../../shared/sim/malformed.js';

describe('malformedMessages', () => {
  const maxEventBytes = 16 * 1024;
  const messages = malformedMessages(11, 400, { maxEventBytes });

  it('draws every kind', () => {
    expect(new Set(messages.map((m) => m.kind))).toEqual(new Set(MALFORMED_KINDS));
  });

  it('tags each message with the reason the codec refuses it for', () => {
    const codec = new Codec({ maxEventBytes });
    for (const message of messages) {
      let refused: unknown = null;
      try {
        codec.decode('prediction', message.value, message.headers);
      } catch (error) {
        refused = error;
      }
      expect(refused, message.kind).toBeInstanceOf(CodecError);
      expect((refused as CodecError).reason, message.kind).toBe(message.reason);
    }
  });

  it('is deterministic per seed and honours the kinds option', () => {
    const again = malformedMessages(11, 400, { maxEventBytes });
    expect(again.map((m) => [m.kind, m.key, m.value.toString('hex')])).toEqual(
      messages.map((m) => [m.kind, m.key, m.value.toString('hex')]),
    );
    const onlyNaN = malformedMessages(5, 20, { kinds: ['nan-feature'] });
    expect(onlyNaN.every((m) => m.kind === 'nan-feature' && m.reason === 'NON_FINITE')).toBe(true);
  });
});
