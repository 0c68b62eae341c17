// `driftwatch start [--embedded]`: the whole system in the foreground. Without --embedded, every
// service of the distributed stack (service-table.ts) as a child process against KAFKA_BROKERS
// and REDIS_URL; Ctrl-C stops them all, and one that dies stops the rest and fails the command.
// With --embedded, the in-memory demo of `npm start` (services/embedded/main.ts), its options
// after `--`.
import { InvalidArgumentError, type Command } from 'commander';
import { ExitStatus } from './exit-status.js';
import { CliError, type CliStreams } from './program.js';
import { missingEntry, serviceChild } from './stack-children.js';
import { SERVICES, serviceEntry, serviceUrl } from './service-table.js';
import { describeExit, supervise, type ChildSpec, type SuperviseResult } from './supervise.js';

export interface StartCommandDeps extends CliStreams {
  env?: NodeJS.ProcessEnv;
}

interface StartOptions {
  embedded?: boolean;
  graceSeconds: number;
}

const line = (deps: CliStreams) => (text: string) => deps.stderr.write(`driftwatch: ${text}\n`);

/** The children of the distributed stack; optional services missing from the build, or not configured, are skipped with a line saying so. */
function stackChildren(deps: StartCommandDeps, env: NodeJS.ProcessEnv): ChildSpec[] {
  const children: ChildSpec[] = [];
  for (const row of SERVICES) {
    if (row.optional && missingEntry(row) !== null) {
      line(deps)(`${row.name}: skipped, ${serviceEntry(row.name).shown} is not built`);
      continue;
    }
    const reason = row.skipReason?.(env) ?? null;
    if (reason !== null) {
      line(deps)(`${row.name}: skipped, ${reason}`);
      continue;
    }
    children.push(serviceChild(row, env));
    line(deps)(`${row.name}: ops ${serviceUrl(row, env).href}`);
  }
  return children;
}

/** Exit 0 only for a stop the user asked for that every service completed cleanly. */
function outcome(result: SuperviseResult): void {
  if ('child' in result.stoppedBy) throw new CliError(`${result.stoppedBy.child.name} ${describeExit(result.stoppedBy.child)}; stopped the others`);
  const unclean = result.exits.filter((e) => e.code !== 0);
  if (unclean.length > 0) throw new CliError(`stopped, but not cleanly: ${unclean.map((e) => `${e.name} ${describeExit(e)}`).join(', ')}`);
}

async function start(deps: StartCommandDeps, demoArgs: string[], options: StartOptions, command: Command): Promise<void> {
  const env = deps.env ?? process.env;
  const report = line(deps);
  const graceMs = options.graceSeconds * 1000;
  if (options.embedded) {
    const entry = serviceEntry('embedded');
    if (!entry.exists) throw new CliError(`the embedded demo is not in this build: ${entry.shown} is missing (run \`npm run build\`)`);
    const result = await supervise([{ name: 'embedded demo', entry: entry.path, args: demoArgs, env }], { report, graceMs });
    const exit = result.exits[0]!;
    // The demo's own verdict: 0 when the loop completed, 1 when not, 2 for a bad option.
    if (exit.code !== 0) throw new ExitStatus(exit.code ?? 1, exit.code === null ? `the embedded demo ${describeExit(exit)}` : '');
    return;
  }
  // A usage error (exit 2), like any other commander refuses.
  if (demoArgs.length > 0) command.error(`error: unexpected arguments ${demoArgs.join(' ')}: only --embedded takes demo options (after --)`, { exitCode: 2 });
  const children = stackChildren(deps, env);
  report(`running ${children.map((c) => c.name).join(', ')} against ${env.KAFKA_BROKERS ?? 'KAFKA_BROKERS (unset)'}; Ctrl-C stops them all`);
  outcome(await supervise(children, { report, graceMs }));
}

/** Adds `start [--embedded]` to the program. */
export function registerStartCommand(program: Command, deps: StartCommandDeps): void {
  program
    .command('start')
    .description(
      'Run the whole stack in the foreground: performance, drift, retrainer (and console, notifier when built) ' +
        'against KAFKA_BROKERS and REDIS_URL; Ctrl-C stops them all. --embedded: the in-memory demo instead.',
    )
    .argument('[demo-options...]', 'with --embedded, after --: the demo\'s options (e.g. -- --drift-after 10 --rate 100)')
    .option('--embedded', 'run the embedded demo (no Kafka or Redis needed), the same as `npm start`')
    .option('--grace-seconds <s>', 'how long the services get to stop before they are killed', (t) => {
      const n = Number(t);
      if (!(n > 0)) throw new InvalidArgumentError('must be a positive number of seconds');
      return n;
    }, 30)
    .addHelpText(
      'after',
      '\nEach service listens for /readyz and /metrics on the port of its URL variable: ' +
        SERVICES.map((s) => `${s.name} ${s.urlVariable} (${s.defaultUrl})`).join(', ') +
        '.\nExit codes: 0 stopped by Ctrl-C/SIGTERM and every service stopped cleanly; 1 a service died (the others are stopped) ' +
        'or one did not stop cleanly; 2 usage. With --embedded, the demo\'s own code.',
    )
    .action((demoArgs: string[], options: StartOptions, command: Command) => start(deps, demoArgs, options, command));
}
