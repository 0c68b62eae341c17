import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Partitioners } from 'kafkajs';
import type { PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../shared/bus/partitioner.js';

const require = createRequire(import.meta.url);
// kafkajs does not export its murmur2; the file is the reference we must agree with bit for bit.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer | string,
) => number;

function kafkajsPartition(key: string | Buffer, partitions: number): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
  const args: PartitionerArgs = { topic: 't', partitionMetadata, message: { key, value: null } };
  return partitioner(args);
}

function sampleKeys(): (string | Buffer)[] {
  const keys: (string | Buffer)[] = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'prediction-1', 'ümlaut-ключ-🔑'];
  for (let i = 0; i < 3000; i++) keys.push(`pred-${i}-${i * 7919}`);
  for (let len = 0; len < 40; len++) {
    for (let j = 0; j < 25; j++) keys.push(randomBytes(len));
  }
  return keys;
}

describe('partitioner', () => {
  const keys = sampleKeys();

  it('murmur2 equals kafkajs murmur2 on strings and random bytes of every tail length', () => {
    for (const key of keys) {
      const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
      expect(murmur2(bytes), String(key)).toBe(kafkajsMurmur2(key));
    }
  });

  it('matches Java-client reference hashes', () => {
    // Values from Apache Kafka's UtilsTest.testMurmur2 (Java client), the contract kafkajs follows.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });

  it('places keys in the same partition as kafkajs DefaultPartitioner', () => {
    for (const partitions of [1, 2, 3, 7, 12, 64]) {
      for (const key of keys) {
        expect(partitionForKey(key, partitions)).toBe(kafkajsPartition(key, partitions));
      }
    }
  });

  it('rejects a non-positive partition count', () => {
    expect(() => partitionForKey('k', 0)).toThrow(RangeError);
  });
});
