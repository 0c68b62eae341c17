// A redis-server of a test's own on a free port (with a password, or TLS only), for what the
// shared Redis cannot show: a wrong password, a certificate problem. stop() ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OwnRedis {
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface OwnRedisOptions {
  requirePass?: string;
  /**
   * TLS only (plain port off): server certificate, key and the CA of client certificates;
   * `clientCertificate` 'yes' makes a client certificate mandatory (default optional).
   */
  tls?: { cert: string; key: string; ca: string; clientCertificate?: 'yes' | 'optional' };
}

/** Resolves once the server says "Ready to accept connections". */
export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dw-own-redis-'));
  // Fixed strings and a port number: no shell involved.
  const args = ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  if (options.tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key);
    args.push('--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', options.tls.clientCertificate ?? 'optional');
  } else {
    args.push('--port', String(port));
  }
  if (options.requirePass !== undefined) args.push('--requirepass', options.requirePass);
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`own redis-server on ${port} did not start:\n${log}`)), 15_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`own redis-server exited with ${code}:\n${log}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout!.resume();
  child.stderr!.resume();
  return { port, stop };
}
