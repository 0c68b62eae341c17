// SubscribeOptions.coPartitioned's rule, shared by KafkaBus's assigner and MemoryBus so both
// buses split a group the same way: partition k of every topic goes to the same member.
import { PartitionCountMismatchError } from './errors.js';

/** The topics' partition counts must agree; one partition number then names one key range in all. */
export function assertSamePartitionCount(partitionsByTopic: Readonly<Record<string, number>>): void {
  const counts = new Set(Object.values(partitionsByTopic));
  if (counts.size > 1) throw new PartitionCountMismatchError(partitionsByTopic);
}

/**
 * Partition numbers by member and topic: number k goes to `members[k % members.length]`, for
 * every topic alike. Round-robin over numbers rather than contiguous ranges, so the owner of k
 * does not depend on the partition count: even topics whose counts disagree (repartitioned
 * under a running group) keep each shared number on one member. `members` must already be in
 * the order every bus agrees on (sorted member ids); the result lists every member, possibly
 * with no partitions.
 */
export function coPartitionedAssignment<M>(
  members: readonly M[],
  partitionsByTopic: Readonly<Record<string, number>>,
): Map<M, Record<string, number[]>> {
  const assignment = new Map<M, Record<string, number[]>>(members.map((member) => [member, {}]));
  if (members.length === 0) return assignment;
  for (const [topic, count] of Object.entries(partitionsByTopic)) {
    for (let partition = 0; partition < count; partition++) {
      const owned = assignment.get(members[partition % members.length]!)!;
      (owned[topic] ??= []).push(partition);
    }
  }
  return assignment;
}
