// Seeded inputs for the tests that hold a reader of Avro bytes to an oracle: a small seeded
// generator, truncations, byte mutations and random bytes of valid encodings, and the varint
// hand-made encodings are written with.

/** mulberry32: a small seeded generator, so every run tries the same inputs. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function* truncations(bytes: Buffer): Generator<Buffer> {
  for (let cut = 0; cut < bytes.length; cut++) yield bytes.subarray(0, cut);
}

/** Every truncation of a short encoding; of a long one, a seeded sample of 400 cuts and the last 40. */
export function* someTruncations(bytes: Buffer, random: () => number): Generator<Buffer> {
  if (bytes.length <= 440) {
    yield* truncations(bytes);
    return;
  }
  for (let k = 0; k < 400; k++) yield bytes.subarray(0, Math.floor(random() * bytes.length));
  for (let cut = bytes.length - 40; cut < bytes.length; cut++) yield bytes.subarray(0, cut);
}

export function* mutations(bytes: Buffer, random: () => number, count: number): Generator<Buffer> {
  for (let k = 0; k < count; k++) {
    const copy = Buffer.from(bytes);
    const at = Math.floor(random() * copy.length);
    // Half the time a byte likely to matter (a high or continuation bit), else any byte.
    copy[at] = random() < 0.5 ? [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x81][Math.floor(random() * 7)]! : Math.floor(random() * 256);
    yield copy;
  }
}

export function* randomBytes(random: () => number, count: number): Generator<Buffer> {
  for (let k = 0; k < count; k++) {
    const bytes = Buffer.alloc(Math.floor(random() * 80));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    yield bytes;
  }
}

/** Avro's zig-zag varint of an integer (lengths, block counts, longs), for hand-made encodings. */
export function zigzag(n: number): number[] {
  const out: number[] = [];
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return out;
}
