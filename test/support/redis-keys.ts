// Keys of one model in a shared Redis, for tests that check layout or clean up after
// themselves (never FLUSHALL: other tests and engineers share the server).
import type { Redis } from 'ioredis';

// One step covers any test server: a shared Redis can hold millions of keys, and a scan of many
// small steps takes long enough for short-lived keys to expire before the listing ends.
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000_000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
