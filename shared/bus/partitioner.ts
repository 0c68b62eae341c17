// Key → partition exactly as Kafka's Java client and kafkajs's DefaultPartitioner compute it,
// so the in-memory bus places every key where the real broker would: predictions and labels
// with the same id then meet in the same partition in both modes.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (32-bit, signed result) over the key's bytes. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i * 4;
    let k = (data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)) | 0;
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  // The reference switch falls through: a 3-byte tail also mixes bytes 1 and 0.
  if (rest >= 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a keyed message among `partitions`; strings are hashed as UTF-8, like kafkajs. */
export function partitionForKey(key: string | Uint8Array, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  // Java's toPositive: masks the sign bit rather than taking the absolute value.
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
