// `driftwatch service <name>`: one service of the distributed stack in the foreground, as its
// own process (the same one `start` runs), its exit code passed through: 0 after a clean
// SIGTERM or Ctrl-C, 1 when it failed, 2 for bad settings.
import { InvalidArgumentError, type Command } from 'commander';
import { ExitStatus } from './exit-status.js';
import type { CliStreams } from './program.js';
import { serviceChild } from './stack-children.js';
import { findService, SERVICES, serviceNames, serviceUrl, type ServiceRow } from './service-table.js';
import { describeExit, supervise } from './supervise.js';

export interface ServiceCommandDeps extends CliStreams {
  env?: NodeJS.ProcessEnv;
}

/** A usage error (exit 2) that lists the known names. */
function knownService(name: string): ServiceRow {
  const row = findService(name);
  if (!row) throw new InvalidArgumentError(`unknown service "${name}"; known services: ${serviceNames().join(', ')}`);
  return row;
}

async function runService(deps: ServiceCommandDeps, row: ServiceRow): Promise<void> {
  const env = deps.env ?? process.env;
  const child = serviceChild(row, env, { keepHttpPort: true });
  const report = (text: string) => deps.stderr.write(`driftwatch: ${text}\n`);
  report(`${row.name}: ops on port ${child.env.DW_HTTP_PORT} (${serviceUrl(row, env).href} unless DW_HTTP_PORT says otherwise)`);
  // No grace period of our own: the service bounds its shutdown, a second Ctrl-C forces it.
  const result = await supervise([child], { report, graceMs: 2 ** 31 - 1 });
  const exit = result.exits[0]!;
  if (exit.code === 0) return;
  throw new ExitStatus(exit.code ?? 1, exit.code === null ? `${row.name} ${describeExit(exit)}` : '');
}

/** Adds `service <name>` to the program. */
export function registerServiceCommand(program: Command, deps: ServiceCommandDeps): void {
  program
    .command('service')
    .description('Run one service of the distributed stack in the foreground (Ctrl-C or SIGTERM stops it gracefully).')
    .argument('<name>', `one of ${serviceNames().join(', ')}`, knownService)
    .addHelpText(
      'after',
      '\nServices:\n' +
        SERVICES.map((s) => `  ${s.name.padEnd(12)} ${s.summary}; ops server from ${s.urlVariable} (default ${s.defaultUrl})`).join('\n') +
        '\n\nSettings come from the environment (KAFKA_BROKERS, REDIS_URL, DW_TOPIC_PREFIX, ...; docs/config.md). ' +
        'DW_HTTP_PORT, when set, wins over the URL variable\'s port.\n' +
        'Exit codes: the service\'s own: 0 stopped cleanly, 1 failed, 2 bad settings; 2 also for an unknown name.',
    )
    .action((row: ServiceRow) => runService(deps, row));
}
