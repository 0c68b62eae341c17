// What a contract/integration test needs to reach the real services started (or reused)
// by test/setup/global-setup.ts, and names that cannot collide with other tests sharing them.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export function kafkaBrokers(): string {
  return inject('kafkaBrokers');
}

export function kafkaBrokerList(): string[] {
  return kafkaBrokers().split(',');
}

export function redisUrl(): string {
  return inject('redisUrl');
}

let sequence = 0;

/**
 * A fresh name for a topic, consumer group, model or key prefix. The broker and Redis are
 * shared by every test file (and, on the dev machine, by every engineer), so names must be
 * unique per test. Only [a-z0-9-]: valid everywhere (Kafka forbids most punctuation and
 * warns about mixing '.' and '_').
 */
export function uniqueName(prefix: string): string {
  const cleanPrefix = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  sequence += 1;
  return `${cleanPrefix}-${process.pid.toString(36)}-${sequence.toString(36)}-${randomBytes(4).toString('hex')}`;
}
