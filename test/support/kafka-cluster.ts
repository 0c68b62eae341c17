// The 3-node KRaft cluster of scripts/kafka-cluster.sh for a test file: fresh state (a new
// cluster id, no topics) in a throw-away directory, stopped and deleted afterwards. Ports are
// fixed by the script (BASE..BASE+2, BASE+100..BASE+102); DW_TEST_CLUSTER_BASE_PORT moves them.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(import.meta.dirname, '../../scripts/kafka-cluster.sh');

export interface TestCluster {
  brokers: string[];
  /** scripts/kafka-cluster.sh with this cluster's environment, e.g. run('stop-node', '1'). */
  run(...args: string[]): Promise<string>;
  /** kill -9 of node N's JVM (a crash, no controlled shutdown); resolves once it is gone. */
  killNode(node: 1 | 2 | 3): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCluster(basePort = Number(process.env.DW_TEST_CLUSTER_BASE_PORT ?? 19192)): Promise<TestCluster> {
  const stateDir = await mkdtemp(join(tmpdir(), 'dw-kafka-cluster-'));
  // DW_OWNER_PID: the script's watcher stops the nodes if this process dies without stop().
  const env = { ...process.env, KAFKA_CLUSTER_BASE_PORT: String(basePort), KAFKA_CLUSTER_STATE_DIR: stateDir, DW_OWNER_PID: String(process.pid) };
  const run = (...args: string[]): Promise<string> =>
    new Promise((done, fail) => {
      execFile('bash', [script, ...args], { env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) fail(new Error(`kafka-cluster.sh ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else done(stdout);
      });
    });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await run('stop').catch(() => {});
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const brokers = (await run('start')).trim().split('\n').pop()!.split(',');
    const killNode = async (node: 1 | 2 | 3): Promise<void> => {
      const pid = Number((await readFile(join(stateDir, `node-${node}`, 'kafka.pid'), 'utf8')).trim());
      process.kill(pid, 'SIGKILL');
      const alive = (): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      // A zombie until the script's subshell reaps it; a few hundred ms at most.
      for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    return { brokers, run, killNode, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
