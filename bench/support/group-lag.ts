// A consumer group's progress seen from outside, as an operator would: committed offsets
// against the topics' end offsets. Lets the benchmark time a service it does not run.
import type { Admin } from 'kafkajs';

export interface GroupProgress {
  /** Messages committed by the group, summed over the topics' partitions. */
  committed: number;
  /** High watermarks summed over the topics' partitions (what a caught-up group has committed). */
  end: number;
}

export async function groupProgress(admin: Admin, groupId: string, topics: string[]): Promise<GroupProgress> {
  let committed = 0;
  let end = 0;
  const groupOffsets = await admin.fetchOffsets({ groupId, topics });
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) end += Number(p.high);
    const partitions = groupOffsets.find((t) => t.topic === topic)?.partitions ?? [];
    // -1 means nothing committed yet on that partition.
    for (const p of partitions) committed += Math.max(0, Number(p.offset));
  }
  return { committed, end };
}

export interface CatchUp {
  /** First poll that saw a commit: the group was assigned and handling batches. */
  startedAt: number;
  committedAtStart: number;
  finishedAt: number;
  end: number;
}

/**
 * Polls until the group has committed everything up to the topics' end. The rate is
 * timed from the first commit seen, as the raw-consume baseline is timed from its first
 * batch, so process start and group join are not counted against either.
 */
export async function waitForCatchUp(admin: Admin, groupId: string, topics: string[], timeoutMs: number, pollMs = 100): Promise<CatchUp> {
  const deadline = Date.now() + timeoutMs;
  let startedAt = 0;
  let committedAtStart = 0;
  for (;;) {
    const progress = await groupProgress(admin, groupId, topics);
    const now = performance.now();
    if (startedAt === 0 && progress.committed > 0) {
      startedAt = now;
      committedAtStart = progress.committed;
    }
    if (progress.end > 0 && progress.committed >= progress.end) {
      return { startedAt, committedAtStart, finishedAt: now, end: progress.end };
    }
    if (Date.now() > deadline) throw new Error(`group ${groupId} at ${progress.committed}/${progress.end} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
