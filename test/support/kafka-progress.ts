// Waiting for a consumer group to have consumed everything: committed offsets equal the
// end offsets on every partition of its topics. A real probe of Kafka, never a sleep.
import type { Admin } from 'kafkajs';

export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  let lag = 0;
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of ends) {
      const offset = Number(done.find((p) => p.partition === end.partition)?.offset ?? -1);
      lag += Number(end.high) - Math.max(offset, 0);
    }
  }
  return lag;
}

export async function waitForGroupCaughtUp(admin: Admin, groupId: string, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lag = Number.POSITIVE_INFINITY;
  while (Date.now() < deadline) {
    lag = await groupLag(admin, groupId, topics);
    if (lag === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`group ${groupId} still ${lag} messages behind on ${topics.join(', ')} after ${timeoutMs} ms`);
}
