// A server binary from Debian's packages (Prometheus, Alertmanager) run for a test: a fresh
// temporary directory, a free loopback port, its output's tail kept for failure messages, and
// started only once its /-/ready answers 200. stop() ends it and removes the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../scripts/local-services.js';
import { until } from './until.js';

const KEPT_OUTPUT_CHARS = 4_000;

export interface ReadyBinary {
  readonly url: string;
  readonly child: ChildProcess;
  /** Its output so far (the tail), for failure messages. */
  output(): string;
  /** SIGTERM, wait for the exit, remove the directory. */
  stop(): Promise<void>;
}

/**
 * Starts `binary` with the arguments `args(port, dir)` builds (`dir` holds its config, written
 * by `prepare(dir)` first, and its storage). `name` is for messages.
 */
export async function startReadyBinary(
  name: string,
  binary: string,
  prepare: (dir: string) => void,
  args: (port: number, dir: string) => string[],
): Promise<ReadyBinary> {
  const dir = mkdtempSync(join(tmpdir(), `dw-${name.toLowerCase()}-`));
  prepare(dir);
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, args(port!, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot run ${binary}: ${error.message}`))));
  spawnFailed.catch(() => {}); // observed by the race below; later it has nothing to fail
  // A binary that could not start emits 'error' and may never emit 'exit'.
  const exited = new Promise<void>((done) => (child.once('exit', () => done()), child.once('error', () => done())));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = async (): Promise<boolean> => {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    return fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
  };
  try {
    await Promise.race([until(`${name} /-/ready`, ready, Boolean, 30_000), spawnFailed]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, child, output: () => output, stop };
}
