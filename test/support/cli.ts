// Runs the `driftwatch` command line: in this process, through the program factory, with its
// own stdout and stderr, the outcome mapped the way services/cli/main.ts does it (a usage
// error is code 2, a CliError or InputError is code 1 with `driftwatch: <message>` on stderr);
// or as the real binary in a child process.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
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
    if (error instanceof CliError || error instanceof InputError) {
      return { code: 1, stdout, stderr: `${stderr}driftwatch: ${error.message}\n`, error };
    }
    throw error;
  }
}

/** The real `driftwatch` binary (services/cli/main.ts under tsx) in a child process, from the repository root. */
export function runCliBinary(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'services/cli/main.ts'), ...args], { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
