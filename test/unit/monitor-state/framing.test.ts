import { describe, expect, it } from 'vitest';
import { decodeOutboxEntry, encodeOutboxEntry, frame, unframe } from '../../../shared/monitor-state/framing.js';

describe('framing', () => {
  it('round-trips fields holding any bytes, including the separator and invalid UTF-8', () => {
    const fields = [Buffer.from([]), Buffer.from('12:ab'), Buffer.from([0, 0xff, 0x3a, 0xc3, 0x28]), Buffer.from('héllo')];
    expect(unframe(frame(fields))).toEqual(fields);
  });

  it('refuses a truncated value', () => {
    const whole = frame(['abcdef']);
    expect(() => unframe(whole.subarray(0, whole.length - 1))).toThrow(/past the end/);
    expect(() => unframe(Buffer.from('x:1'))).toThrow(/bad length/);
  });

  it('round-trips outbox entries with binary values and headers', () => {
    const entry = { topic: 'alerts', key: 'model|drift|x', value: Buffer.from([0xc3, 0x28]), headers: { id: Buffer.from('k@1') } };
    expect(decodeOutboxEntry(encodeOutboxEntry(entry))).toEqual(entry);
  });
});
