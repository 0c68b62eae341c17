// Global setup of the `services` vitest project: one real Kafka broker and one real Redis
// for the whole run (reused from KAFKA_BROKERS / REDIS_URL when they answer), handed to the
// test files through provide/inject; see test/setup/env.ts for the test-side helpers.
import type { TestProject } from 'vitest/node';
import { ensureLocalServices } from '../../scripts/local-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap list, e.g. "127.0.0.1:9092". */
    kafkaBrokers: string;
    /** e.g. "redis://127.0.0.1:6379". */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await ensureLocalServices();
  project.provide('kafkaBrokers', services.kafkaBrokers);
  project.provide('redisUrl', services.redisUrl);
  return () => services.stop();
}
