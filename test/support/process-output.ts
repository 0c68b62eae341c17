// Everything a service process writes, by stream, for tests that must check every byte (no
// secret anywhere) rather than the last lines service-process keeps for failure messages.
import type { ServiceProcess } from './service-process.js';

export interface CapturedOutput {
  stdout(): string;
  stderr(): string;
  /** stdout's JSON log lines (non-JSON lines are skipped). */
  logLines(): Array<Record<string, unknown>>;
  /** Resolves once a stdout line contains `text`; rejects after `timeoutMs`. */
  waitFor(text: string, timeoutMs: number): Promise<void>;
}

/** Call right after startServiceProcess: data events only flow from the next tick on. */
export function captureOutput(service: ServiceProcess): CapturedOutput {
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  service.child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters.splice(0)) {
      if (stdout.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  service.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    waitFor: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms; output:\n${stdout}\n${stderr}`)), timeoutMs);
        waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
        void service.exited.then(() => {
          if (!stdout.includes(text)) {
            clearTimeout(timer);
            reject(new Error(`exited before "${text}"; output:\n${stdout}\n${stderr}`));
          }
        });
      }),
  };
}
