// A single-node Kafka whose only client listener is SASL_PLAINTEXT with SCRAM-SHA-512
// (scripts/kafka.sh with KAFKA_SASL=scram), for a test file: fresh state in a throw-away
// directory, its own ports (DW_TEST_SASL_KAFKA_PORT, default 19792, and the next one for the
// controller), stopped and deleted afterwards. DW_OWNER_PID makes the script's watcher stop
// the JVM if the test process dies without stop().
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(import.meta.dirname, '../../scripts/kafka.sh');

export interface ScramCredentials {
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
}

export interface SaslKafka {
  brokers: string[];
  /** The super user the broker was formatted with (no authorizer: every user may do anything). */
  admin: ScramCredentials;
  /** connections.max.reauth.ms of the listener: the longest a live connection keeps an old login. */
  reauthMs: number;
  /** Creates `user` or changes its password (a JVM tool run as the admin; a few seconds). */
  setScramPassword(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

export interface SaslKafkaOptions {
  port?: number;
  /**
   * connections.max.reauth.ms; default 12,000. kafkajs logs in again when less than 10 s of a
   * session remain (its reauthenticationThreshold) and fails every request when the broker's
   * sessions are shorter than that, so 12 s means kafkajs re-authenticates each connection
   * about every 2 s of use.
   */
  reauthMs?: number;
}

export async function startSaslKafka(options: SaslKafkaOptions = {}): Promise<SaslKafka> {
  const port = options.port ?? Number(process.env.DW_TEST_SASL_KAFKA_PORT ?? 19792);
  const reauthMs = options.reauthMs ?? 12_000;
  const stateDir = await mkdtemp(join(tmpdir(), 'dw-sasl-kafka-'));
  const admin: ScramCredentials = { mechanism: 'scram-sha-512', username: 'admin', password: `admin-${randomBytes(9).toString('hex')}` };
  const env = {
    ...process.env,
    KAFKA_SASL: 'scram',
    KAFKA_SASL_ADMIN_PASSWORD: admin.password,
    KAFKA_SASL_REAUTH_MS: String(reauthMs),
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_STATE_DIR: stateDir,
    KAFKA_START_TIMEOUT: '60',
    DW_OWNER_PID: String(process.pid),
  };
  const run = (args: string[], stdin?: string): Promise<string> =>
    new Promise((done, fail) => {
      const child = execFile('bash', [script, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
        if (error) fail(new Error(`kafka.sh ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else done(stdout);
      });
      child.stdin!.end(stdin ?? '');
    });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await run(['stop']).catch(() => {});
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const brokers = (await run(['start'])).trim().split('\n').pop()!.split(',');
    return {
      brokers,
      admin,
      reauthMs,
      setScramPassword: async (user, password) => {
        await run(['scram-user', user], `${password}\n`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
