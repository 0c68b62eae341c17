// Polling a real system until it shows what a test waits for: every 100 ms, with a deadline
// whose error says what was awaited and the last value seen, and, when a service process is
// named, failing at once (with its output) if that process exits meanwhile.
import type { ServiceProcess } from './service-process.js';

export async function until<T>(
  what: string,
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  alive?: ServiceProcess,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (alive && alive.child.exitCode !== null) throw new Error(`the service exited while waiting for ${what}:\n${alive.output()}`);
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(value)?.slice(0, 2000)}${alive ? `\n${alive.output()}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
