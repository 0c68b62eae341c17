import { AssignerProtocol } from 'kafkajs';
import type { Cluster, Logger } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { CO_PARTITIONED_ASSIGNER, coPartitionedAssigner } from '../../../shared/bus/co-partitioned-assigner.js';

// The kafkajs assigner on its own: what the group leader hands the broker. The contract
// (test/contract/bus.contract.ts) checks the same rule end to end on a real broker.

const silent = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} } as unknown as Logger;

function assignerFor(partitionsByTopic: Record<string, number>, logger = silent) {
  const cluster = {
    findTopicPartitionMetadata: (topic: string) =>
      Array.from({ length: partitionsByTopic[topic] ?? 0 }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] })),
  } as unknown as Cluster;
  return coPartitionedAssigner({ cluster, groupId: 'g', logger });
}

async function assignmentOf(partitionsByTopic: Record<string, number>, memberIds: string[], logger = silent) {
  const assigner = assignerFor(partitionsByTopic, logger);
  const members = memberIds.map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) }));
  const result = await assigner.assign({ members, topics: Object.keys(partitionsByTopic) });
  return Object.fromEntries(result.map(({ memberId, memberAssignment }) => [memberId, AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment]));
}

describe('coPartitionedAssigner', () => {
  it('gives partition k of every topic to the (k mod n)-th member by sorted id', async () => {
    const assignment = await assignmentOf({ predictions: 5, labels: 5 }, ['m-c', 'm-a', 'm-b']);
    expect(assignment).toEqual({
      'm-a': { predictions: [0, 3], labels: [0, 3] },
      'm-b': { predictions: [1, 4], labels: [1, 4] },
      'm-c': { predictions: [2], labels: [2] },
    });
  });

  it('is deterministic whatever order the members come in, and lists a member left without partitions', async () => {
    const ids = ['z', 'y', 'x', 'w'];
    const forward = await assignmentOf({ a: 2, b: 2 }, ids);
    const backward = await assignmentOf({ a: 2, b: 2 }, [...ids].reverse());
    expect(forward).toEqual(backward);
    expect(forward).toEqual({ w: { a: [0], b: [0] }, x: { a: [1], b: [1] }, y: {}, z: {} });
  });

  it('keeps each shared number on one member even when the counts drifted apart, and says so', async () => {
    const errors: unknown[] = [];
    const logger = { ...silent, error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;
    const assignment = await assignmentOf({ a: 4, b: 6 }, ['m1', 'm2'], logger);
    expect(assignment).toEqual({ m1: { a: [0, 2], b: [0, 2, 4] }, m2: { a: [1, 3], b: [1, 3, 5] } });
    expect(errors).toHaveLength(1);
  });

  it('offers its own protocol with the subscribed topics', () => {
    const { name, metadata } = assignerFor({}).protocol({ topics: ['a', 'b'] });
    expect(name).toBe(CO_PARTITIONED_ASSIGNER);
    expect(AssignerProtocol.MemberMetadata.decode(metadata)?.topics).toEqual(['a', 'b']);
  });
});
