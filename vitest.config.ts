import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure code and needs nothing running; `services` (contract,
// integration) talks to a real Kafka broker and a real Redis, which the global setup
// starts once per run unless KAFKA_BROKERS / REDIS_URL already answer.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'services',
          include: ['test/contract/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One shared broker on 2 cores: files run one after another so timings stay sane.
          fileParallelism: false,
        },
      },
    ],
  },
});
