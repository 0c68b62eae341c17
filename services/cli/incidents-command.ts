// `driftwatch incidents [model] [id]`: the retrainer's incident records (GET /incidents…),
// newest first, one summary block per incident: what triggered it, champion → challenger,
// the decision, the metric before/during the drift, champion vs challenger on the test split,
// the quantized variants and the verification. With an id, also the tables behind it: the
// triggers, the diagnosis, the data's split, the search and every test metric
// (shared/report/incident-text.ts).
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Incident } from '../../shared/codec/events.generated.js';
import { incidentDetailText, incidentsText } from '../../shared/report/incident-text.js';
import type { CliStreams } from './program.js';
import { callRetrainer, retrainerUrl, type RetrainerClientDeps } from './retrainer-http.js';

// The formatting is shared with the `npm start` demo (services/embedded/demo-output.ts).
export { incidentDetailText, incidentsText, incidentText, triggerText } from '../../shared/report/incident-text.js';

export type IncidentsCommandDeps = CliStreams & RetrainerClientDeps;

interface IncidentsOptions {
  url?: string;
  json?: boolean;
  limit: number;
}

// ---- command -------------------------------------------------------------------------------

const positiveInteger = (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return value;
};

async function incidents(deps: IncidentsCommandDeps, model: string | undefined, id: string | undefined, options: IncidentsOptions): Promise<void> {
  const base = retrainerUrl(options.url, deps.env ?? process.env);
  const path =
    model === undefined
      ? `/incidents?limit=${options.limit}`
      : id === undefined
        ? `/incidents/${encodeURIComponent(model)}?limit=${options.limit}`
        : `/incidents/${encodeURIComponent(model)}/${encodeURIComponent(id)}`;
  const { body } = await callRetrainer(deps, base, 'GET', path);
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  if (id !== undefined) deps.stdout.write(incidentDetailText(body as Incident));
  else deps.stdout.write(incidentsText(body as Incident[], model));
}

/** Adds `incidents [model] [id]` to the program. */
export function registerIncidentsCommand(program: Command, deps: IncidentsCommandDeps): void {
  program
    .command('incidents')
    .description("The retrainer's incident records, newest first: trigger, decision, metrics, variants, verification.")
    .argument('[model]', 'only this model')
    .argument('[id]', 'one incident in detail (with the triggers, the diagnosis, the split, the search and every test metric)')
    .option('--url <url>', 'the retrainer (default DW_RETRAINER_URL, else http://127.0.0.1:9466)')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'at most this many incidents', positiveInteger, 20)
    .action((model: string | undefined, id: string | undefined, options: IncidentsOptions) => incidents(deps, model, id, options));
}
