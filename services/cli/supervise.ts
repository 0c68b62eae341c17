// Runs services as child processes in the foreground and keeps them together: a signal to the
// CLI (Ctrl-C, SIGTERM, SIGHUP) goes to every child once; a child that exits on its own takes
// the others down with it (SIGTERM, then SIGKILL after a grace period), so a half-dead stack
// never looks alive.
//
// Each child leads its own process group (detached): Ctrl-C in a terminal signals the whole
// foreground group, and a service that got SIGINT from the terminal and again from us would
// take the second one as "exit now, without finishing in-flight batches".
import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildSpec {
  name: string;
  /** A JavaScript (or, under tsx, TypeScript) entry run by this Node with its own flags. */
  entry: string;
  args?: string[];
  env: NodeJS.ProcessEnv;
}

export interface ChildExit {
  name: string;
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SuperviseResult {
  /** What ended the run: a signal to the CLI, or the first child that exited by itself. */
  stoppedBy: { signal: NodeJS.Signals } | { child: ChildExit };
  exits: ChildExit[];
  /** Children still running after the grace period, killed with SIGKILL. */
  killed: string[];
}

export interface SuperviseOptions {
  /** Progress lines (started, exited, stopping): the CLI's stderr. */
  report: (line: string) => void;
  /** How long the children get to stop before SIGKILL (default 30 s). */
  graceMs?: number;
  /** Called once every child is spawned, with their process ids. */
  onStarted?: (pids: Record<string, number>) => void;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export const describeExit = (exit: ChildExit): string => (exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`);

export function supervise(specs: ChildSpec[], options: SuperviseOptions): Promise<SuperviseResult> {
  const graceMs = options.graceMs ?? 30_000;
  return new Promise((resolve) => {
    const running = new Map<string, ChildProcess>();
    const exits: ChildExit[] = [];
    const killed: string[] = [];
    let stoppedBy: SuperviseResult['stoppedBy'] | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const send = (child: ChildProcess, signal: NodeJS.Signals): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill(signal);
      } catch {
        // Gone between the check and the kill: its exit event follows.
      }
    };
    const stopAll = (signal: NodeJS.Signals): void => {
      for (const child of running.values()) send(child, signal);
      graceTimer ??= setTimeout(() => {
        for (const [name, child] of running) {
          killed.push(name);
          options.report(`${name} did not stop within ${graceMs / 1000} s; killing it`);
          send(child, 'SIGKILL');
        }
      }, graceMs);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stoppedBy === undefined) {
        stoppedBy = { signal };
        options.report(`${signal}: stopping ${[...running.keys()].join(', ') || 'nothing'}`);
      }
      // A second signal is passed on too: the services take it as "exit now". They stop
      // gracefully on SIGTERM and SIGINT only; a closed terminal's SIGHUP would just kill them.
      stopAll(signal === 'SIGHUP' ? 'SIGTERM' : signal);
    };
    const finish = (): void => {
      if (running.size > 0) return;
      clearTimeout(graceTimer);
      for (const signal of FORWARDED) process.off(signal, onSignal);
      resolve({ stoppedBy: stoppedBy ?? { signal: 'SIGTERM' }, exits, killed });
    };
    const onExit = (name: string, code: number | null, signal: NodeJS.Signals | null): void => {
      if (!running.has(name)) return;
      running.delete(name);
      const exit = { name, code, signal };
      exits.push(exit);
      if (stoppedBy === undefined) {
        stoppedBy = { child: exit };
        const others = [...running.keys()];
        options.report(`${name} ${describeExit(exit)}${others.length ? `; stopping ${others.join(', ')}` : ''}`);
        stopAll('SIGTERM');
      } else {
        options.report(`${name} ${describeExit(exit)}`);
      }
      finish();
    };

    for (const signal of FORWARDED) process.on(signal, onSignal);
    const pids: Record<string, number> = {};
    for (const spec of specs) {
      const child = spawn(process.execPath, [...process.execArgv, spec.entry, ...(spec.args ?? [])], {
        env: spec.env,
        stdio: ['ignore', 'inherit', 'inherit'],
        detached: true,
      });
      running.set(spec.name, child);
      child.once('error', (error) => {
        options.report(`${spec.name} could not be started: ${error.message}`);
        onExit(spec.name, 1, null);
      });
      child.once('exit', (code, signal) => onExit(spec.name, code, signal));
      if (child.pid !== undefined) {
        pids[spec.name] = child.pid;
        options.report(`started ${spec.name} (pid ${child.pid})`);
      }
    }
    options.onStarted?.(pids);
  });
}
