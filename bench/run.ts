// `npm run bench [name ...]` runs every bench/*.bench.ts (or the named ones) in sequence.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import type { BenchModule } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

const modules: BenchModule[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: BenchModule };
  modules.push(mod.default);
}

let services: { stop(): Promise<void> } | undefined;
if (modules.some((m) => m.needsServices)) {
  const { ensureLocalServices } = await import('../scripts/local-services.js');
  const started = await ensureLocalServices();
  // Benchmarks read the addresses from the environment, as services do.
  process.env.KAFKA_BROKERS = started.kafkaBrokers;
  process.env.REDIS_URL = started.redisUrl;
  services = started;
}
try {
  for (const m of modules) {
    console.log(`\n# ${m.title}`);
    await m.run();
  }
} finally {
  await services?.stop();
}
