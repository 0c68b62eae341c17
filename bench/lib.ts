// Small helpers shared by the benchmarks. Every benchmark prints ratios against a baseline
// measured in the same run, because absolute numbers on a shared 2-core machine drift.

/** Runs fn repeatedly for at least minMs (after a warm-up) and returns operations per second. */
export function opsPerSecond(fn: () => void, opsPerCall: number, minMs = 1000): number {
  const warmUntil = performance.now() + Math.min(200, minMs / 4);
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    calls += 1;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (calls * opsPerCall * 1000) / elapsed;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(1)} /s`;
}

export function printTable(title: string, rows: Record<string, string | number>[]): void {
  console.log(`\n## ${title}`);
  console.table(rows);
}

export interface BenchModule {
  /** Human title printed before the results. */
  title: string;
  /** True when the benchmark needs Kafka and Redis running (bench/run.ts starts them). */
  needsServices?: boolean;
  run(): Promise<void>;
}
