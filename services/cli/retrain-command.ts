// `driftwatch retrain <model>`: asks the retrainer (POST /retrain/<model>) for a manual retrain.
// It goes through the same pending-trigger path as an alert, without debounce or cooldown;
// `driftwatch incidents <model>` follows it.
import type { Command } from 'commander';
import type { CliStreams } from './program.js';
import { callRetrainer, retrainerUrl, type RetrainerClientDeps } from './retrainer-http.js';

export type RetrainCommandDeps = CliStreams & RetrainerClientDeps;

interface RetrainOptions {
  url?: string;
  json?: boolean;
}

async function retrain(deps: RetrainCommandDeps, model: string, options: RetrainOptions): Promise<void> {
  const base = retrainerUrl(options.url, deps.env ?? process.env);
  const { status, body } = await callRetrainer(deps, base, 'POST', `/retrain/${encodeURIComponent(model)}`);
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  const state = typeof body === 'object' && body !== null && 'status' in body ? String((body as { status: unknown }).status) : `HTTP ${status}`;
  deps.stdout.write(
    `Retrain of ${model} requested (${state}) at ${base}; it starts once a retrainer holds the model's lock.\n` +
      `Follow it with: driftwatch incidents ${model}${options.url ? ` --url ${base}` : ''}\n`,
  );
}

/** Adds `retrain <model>` to the program. */
export function registerRetrainCommand(program: Command, deps: RetrainCommandDeps): void {
  program
    .command('retrain')
    .description('Ask the retrainer for a retrain of a model now (no debounce, no cooldown).')
    .argument('<model>')
    .option('--url <url>', 'the retrainer (default DW_RETRAINER_URL, else http://127.0.0.1:9466)')
    .option('--json', 'machine-readable output')
    .action((model: string, options: RetrainOptions) => retrain(deps, model, options));
}
