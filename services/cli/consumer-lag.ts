// Consumer lag of driftwatch's consumer groups (`driftwatch status`), through a kafkajs admin:
// for each group and topic, the messages between the group's committed offsets (fetchOffsets)
// and the partitions' ends (fetchTopicOffsets). A group that committed nothing on a partition
// counts from the partition's start: the services' groups read from the beginning.
import type { Admin } from 'kafkajs';

export interface GroupLag {
  group: string;
  topic: string;
  /** The group's state: Stable (members consuming), Empty (no member), absent (the broker knows no such group), … */
  state: string;
  /** Messages not yet consumed; null when the topic does not exist. */
  lag: number | null;
  /** False when the group committed nothing on this topic yet. */
  committed: boolean;
}

/** Groups whose names end in a UUID are per-process (the drift service's models reader, alert subscribers): not worth a row. */
const EPHEMERAL = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `expected`: the groups the services use, with the topics they read (reported even before
 * they exist or committed anything). Other groups named with `prefix` are found on the broker.
 */
export async function consumerLag(admin: Admin, prefix: string, expected: { group: string; topics: string[] }[]): Promise<GroupLag[]> {
  const { groups } = await admin.listGroups();
  const found = groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix) && !EPHEMERAL.test(id));
  const topicsOf = new Map<string, Set<string>>(expected.map((e) => [e.group, new Set(e.topics)]));
  for (const id of found) if (!topicsOf.has(id)) topicsOf.set(id, new Set());
  const ids = [...topicsOf.keys()].sort();
  const described = await admin.describeGroups(ids);
  // kafkajs says Dead for a group the coordinator does not know: for an operator, it is absent.
  const states = new Map(described.groups.map((g) => [g.groupId, g.state === 'Dead' ? 'absent' : g.state]));

  const existing = new Set(await admin.listTopics());
  const ends = new Map<string, Promise<{ partition: number; high: string; low: string }[]>>();
  const endsOf = (topic: string) => {
    if (!ends.has(topic)) ends.set(topic, admin.fetchTopicOffsets(topic));
    return ends.get(topic)!;
  };

  const rows: GroupLag[] = [];
  for (const group of ids) {
    const topics = topicsOf.get(group)!;
    // Without topics, fetchOffsets answers for every topic the group committed on.
    const committedOn = await admin.fetchOffsets({ groupId: group });
    for (const entry of committedOn) topics.add(entry.topic);
    for (const topic of [...topics].sort()) {
      const state = states.get(group) ?? 'Unknown';
      if (!existing.has(topic)) {
        rows.push({ group, topic, state, lag: null, committed: false });
        continue;
      }
      const committed = new Map(
        (committedOn.find((e) => e.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
      );
      let lag = 0;
      let any = false;
      for (const { partition, high, low } of await endsOf(topic)) {
        const offset = committed.get(partition) ?? -1;
        if (offset >= 0) any = true;
        lag += Math.max(0, Number(high) - (offset >= 0 ? offset : Number(low)));
      }
      rows.push({ group, topic, state, lag, committed: any });
    }
  }
  return rows;
}
