// Runs the `driftwatch` command line: in this process, through the program factory, with its
// own stdout and stderr, the outcome mapped the way services/cli/main.ts does it (a usage
// error is code 2, a CliError or InputError is code 1 with `driftwatch: <message>` on stderr);
// or as the real built binary (dist/services/cli/main.js, `npm run build` first) in a child
// process, to completion (runCliBinary) or left running for a test to watch and signal (spawnCli).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { ExitStatus } from '../../services/cli/exit-status.js';
import { InputError } from '../../services/cli/input-error.js';
import { CliError, createProgram, type CliDeps } from '../../services/cli/program.js';

const repoRoot = resolve(import.meta.dirname, '../..');

export interface CliRun {
  /** The exit code main.ts would return. */
  code: number;
  stdout: string;
  stderr: string;
  /** The CliError or InputError behind code 1, if any. */
  error?: CliError | InputError;
}

/**
 * `env`: where the commands read their settings (DW_*, KAFKA_*); default process.env. The
 * replay is not available: these runs are of the other commands. Any other error is thrown.
 */
export async function runCli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const deps: CliDeps & { env?: NodeJS.ProcessEnv } = {
    stdout: out,
    stderr: err,
    loadRunReplay: () => Promise.reject(new Error('not used')),
    ...(env !== undefined ? { env } : {}),
  };
  try {
    await createProgram(deps).parseAsync(args, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, stdout, stderr };
    if (error instanceof ExitStatus) return { code: error.code, stdout, stderr: error.message ? `${stderr}driftwatch: ${error.message}\n` : stderr };
    if (error instanceof CliError || error instanceof InputError) {
      return { code: 1, stdout, stderr: `${stderr}driftwatch: ${error.message}\n`, error };
    }
    throw error;
  }
}

/** The binary package.json's `bin` names, as `npm run build` writes it. */
export const BUILT_CLI = join(repoRoot, 'dist/services/cli/main.js');

function builtCli(): string {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` before the CLI tests`);
  return BUILT_CLI;
}

/** The real built `driftwatch` binary in a child process, from the repository root, run to its end. */
export function runCliBinary(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [builtCli(), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout or stderr (together) match; rejects after `timeoutMs` or when the process exits first. */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code, or the signal's name when a signal ended it. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const spawned = new Set<ChildProcess>();

/** SIGKILLs every spawnCli process still running (afterEach: a failed test must not leave one behind). */
export function killSpawnedClis(): void {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  spawned.clear();
}

/** The built binary left running (start, service, alerts tail): its output kept whole. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [builtCli(), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  child.stdout!.on('data', (c: Buffer) => ((stdout += c.toString()), wake()));
  child.stderr!.on('data', (c: Buffer) => ((stderr += c.toString()), wake()));
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')));
  const matches = (pattern: string | RegExp) => {
    const text = `${stdout}\n${stderr}`;
    return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
  };
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((done, fail) => {
        const check = () => {
          if (!matches(pattern)) return;
          cleanup();
          done();
        };
        const timer = setTimeout(() => (cleanup(), fail(new Error(`no ${String(pattern)} within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`))), timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then((code) => {
          if (!waiters.has(check)) return;
          cleanup();
          if (matches(pattern)) done();
          else fail(new Error(`exited (${code}) before ${String(pattern)}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        });
        check();
      }),
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
