// A 64-bit hash of a prediction id, as two 32-bit halves: the pending table keeps the hash
// instead of the id string (a 36-character id costs ~56 bytes as a string, the hash 8). Two
// ids colliding on all 64 bits would be joined as one: with a million pending predictions the
// chance that any pair collides is about 3·10⁻⁸.

/** Writes the two halves of the id's hash into `out[0]`, `out[1]`; returns `out`. */
export function hashId(id: string, out: Int32Array): Int32Array {
  // Two FNV-1a-style passes with different offsets and primes over UTF-16 code units.
  let a = 0x811c9dc5 | 0;
  let b = 0x050c5d1f | 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x27d4eb2f);
  }
  // Final avalanche, so ids differing in their last character spread over the whole table.
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 15;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  out[0] = a;
  out[1] = b;
  return out;
}
