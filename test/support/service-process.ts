// A driftwatch service entrypoint (services/<name>/main.ts) run as its own OS process, as
// it is deployed, so a test can SIGKILL it: no graceful shutdown, no flushing, nothing
// from the test's process keeps it alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const KEPT_OUTPUT_LINES = 40;

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The last lines the process wrote to stdout or stderr, for failure messages. */
  output(): string;
  /** Resolves with the exit code, or the signal's name when a signal ended it. */
  readonly exited: Promise<number | string>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (the graceful path), then waits for the exit; its code. */
  stop(): Promise<number | string>;
}

/** `service`: a folder under services/ holding main.ts (e.g. 'performance'). */
export function startServiceProcess(service: string, env: Record<string, string>): ServiceProcess {
  const entry = fileURLToPath(new URL(`../../services/${service}/main.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - KEPT_OUTPUT_LINES));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));

  const signalAndWait = async (signal: NodeJS.Signals): Promise<number | string> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    child,
    output: () => lines.join('\n'),
    exited,
    kill: async () => {
      await signalAndWait('SIGKILL');
    },
    stop: () => signalAndWait('SIGTERM'),
  };
}
