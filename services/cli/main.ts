#!/usr/bin/env node
// Entry point of the `driftwatch` command (package.json bin). Exit codes: 0 success,
// 1 a failure (bad input, replay error), 2 a usage error, 130 interrupted; `service` and
// `start --embedded` pass their child's code through (ExitStatus).
import { CommanderError } from 'commander';
import { registerSecretsFromEnv, scrubSecrets } from '../../shared/log/logger.js';
import type { RunReplay } from '../../shared/report/replay.js';
import { createProgram, CliError } from './program.js';
import { ExitStatus } from './exit-status.js';
import { InputError } from './input-error.js';

/**
 * The embedded services' replay (services/embedded/replay.ts). Loaded by URL when the
 * command runs, so `generate` and `--help` work in a checkout where it is not built yet.
 */
async function loadEmbeddedReplay(): Promise<RunReplay> {
  const url = new URL('../embedded/replay.js', import.meta.url);
  let module: { runReplay?: unknown };
  try {
    module = (await import(url.href)) as { runReplay?: unknown };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes('embedded')) {
      throw new CliError('replay is not available: services/embedded/replay is missing from this build');
    }
    throw error;
  }
  if (typeof module.runReplay !== 'function') throw new CliError('services/embedded/replay does not export runReplay');
  return module.runReplay as RunReplay;
}

async function main(): Promise<number> {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const program = createProgram({
    stdout: process.stdout,
    stderr: process.stderr,
    loadRunReplay: loadEmbeddedReplay,
    signal: controller.signal,
  });
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ExitStatus) {
      if (error.message) process.stderr.write(`driftwatch: ${scrubSecrets(error.message)}\n`);
      return error.code;
    }
    if (controller.signal.aborted) {
      process.stderr.write('driftwatch: interrupted\n');
      return 130;
    }
    if (error instanceof CliError || error instanceof InputError) {
      process.stderr.write(`driftwatch: ${scrubSecrets(error.message)}\n`);
      return 1;
    }
    // The stack only (message and frames), never the error's fields; known secrets scrubbed.
    process.stderr.write(`driftwatch: ${scrubSecrets((error as Error).stack ?? String(error))}\n`);
    return 1;
  }
}

registerSecretsFromEnv(process.env);
process.exitCode = await main();
