// kafkajs partition assigner for SubscribeOptions.coPartitioned. The group leader runs assign()
// at every rebalance; the broker only relays its result, so every member must offer this
// assigner (a group whose members offer no common assigner is refused by the broker).
import { AssignerProtocol } from 'kafkajs';
import type { GroupMemberAssignment, PartitionAssigner } from 'kafkajs';
import { coPartitionedAssignment } from './co-partitioned.js';

/** The protocol name the group agrees on; members without it cannot join a co-partitioned group. */
export const CO_PARTITIONED_ASSIGNER = 'DriftwatchCoPartitioned';
const VERSION = 0;

export const coPartitionedAssigner: PartitionAssigner = ({ cluster, groupId, logger }) => ({
  name: CO_PARTITIONED_ASSIGNER,
  version: VERSION,

  async assign({ members, topics }): Promise<GroupMemberAssignment[]> {
    // Sorted ids: any leader, in any generation, computes the same split from the same members.
    const memberIds = members.map(({ memberId }) => memberId).sort();
    const partitionsByTopic = Object.fromEntries(
      topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).length] as const),
    );
    if (new Set(Object.values(partitionsByTopic)).size > 1) {
      // subscribe() refused this at the start; a topic repartitioned since then still keeps each
      // shared number on one member (the rule does not depend on the count), but keys moved.
      logger.error('co-partitioned topics no longer have the same partition count', { groupId, partitionsByTopic });
    }
    const assignment = coPartitionedAssignment(memberIds, partitionsByTopic);
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: VERSION,
        assignment: assignment.get(memberId)!,
        userData: Buffer.alloc(0),
      }),
    }));
  },

  protocol({ topics }) {
    return {
      name: CO_PARTITIONED_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.alloc(0) }),
    };
  },
});
