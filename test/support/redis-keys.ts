// Keys of one model in a shared Redis, for tests that check layout or clean up after
// themselves (never FLUSHALL: other tests and engineers share the server).
import type { Redis } from 'ioredis';

export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
