// `npm start`: the demo of the whole loop, in one process and in real time (about 90 s).
// The performance, drift and retrainer services run on the in-memory bus and store; an
// upstream app predicts with ModelWatcher at ~200/s and logs labels 0.5–2 s later. Version 1
// is trained on a labelled sample of the `before` concept and promoted; after DEMO_DRIFT_AFTER
// seconds the concept switches, the accuracy rule fires, the retrainer trains and promotes
// version 2, the app hot-swaps to it, its accuracy recovers and the verification says so.
// The incident record is printed at the end. Needs no network. Exit code 0 when the loop
// reached a verification verdict, 1 otherwise. The console (dashboard, docs/console.md) runs on
// the same bus from the start: its URL is printed first, and on a terminal it keeps serving
// after the verdict until Ctrl-C.
//
// Options (environment variable, or the flag beside it):
//   DW_MODE            --mode M            embedded (default) or distributed: the same loop on the
//                                          Kafka and Redis of KAFKA_BROKERS / REDIS_URL, with its own
//                                          topic prefix (<DW_TOPIC_PREFIX>demo-<run id>.) and model
//                                          name, so it never mixes with other runs' data
//   DEMO_BEFORE        --before KIND[:V]   concept before the drift (default hyperplane:0);
//                                          kinds: hyperplane (variant 0, 1, …), sea (0..3), agrawal (1..10)
//   DEMO_AFTER         --after KIND[:V]    concept after it (default hyperplane:1)
//   DEMO_DRIFT_AFTER   --drift-after S     seconds of predictions before the switch (default 20)
//   DEMO_RATE          --rate N            predictions per second (default 200)
//   DEMO_LABEL_DELAY   --label-delay A,B   label delay in ms, uniform in [A, B] (default 500,2000)
//   DEMO_BOOTSTRAP_ROWS --bootstrap-rows N labelled rows version 1 is trained on (default 3000)
//   DEMO_SEED          --seed N            seed of the concepts, the stream and the delays (default 7)
//   DEMO_DEBOUNCE      --debounce S        retrain debounce in seconds (default 15)
//   DEMO_VERIFY_AFTER  --verify-after N    labelled predictions of v2 before the verdict (default 400)
//   DEMO_TAIL          --tail S            keep predicting this long after the verdict (default 6)
//   DEMO_DEADLINE      --deadline S        give up this long after the app started (default 150)
//   DEMO_PROGRESS_EVERY --progress-every S a progress line every S seconds (default 3)
//   DEMO_SERVE         --serve/--no-serve  keep the dashboard serving after the verdict until Ctrl-C
//                                          (default: yes when stdout is a terminal, no otherwise)
//   DW_CONSOLE_PORT                        the dashboard's port (default 8090, a free one if that is
//                                          taken; 0 = any free port); DW_CONSOLE_TOKEN as for the service
//   DW_MODEL_STORE                         model store directory (default: a new temporary one,
//                                          removed at the end)
//   LOG_LEVEL                              the services' log level, on stderr (default warn)
//
// The monitoring config (fast buckets, short horizons, one accuracy rule, small debounce and
// verifyAfter) is in ./demo-config.ts, with why its numbers differ from production defaults.
// `driftwatch replay` (./replay.ts) runs the monitors over files instead; `driftwatch
// generate` writes a seeded churn scenario to try it with.
import { registerSecretsFromEnv, scrubSecrets } from '../../shared/log/logger.js';
import { readDemoOptions, runDemo, DemoOptionError, type DemoCliOptions } from './demo.js';

async function main(): Promise<number> {
  let options: DemoCliOptions;
  try {
    options = readDemoOptions(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  } catch (error) {
    if (error instanceof DemoOptionError || (error as Error).name === 'ConfigError') {
      process.stderr.write(`driftwatch demo: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  const result = await runDemo(options, (line) => process.stdout.write(`${line}\n`), controller.signal);
  return result.completed ? 0 : 1;
}

registerSecretsFromEnv(process.env);
try {
  process.exitCode = await main();
} catch (error) {
  // The stack only (message and frames), never the error's fields; known secrets scrubbed.
  process.stderr.write(`driftwatch demo: ${scrubSecrets((error as Error).stack ?? String(error))}\n`);
  process.exitCode = 1;
}
