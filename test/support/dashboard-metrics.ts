// Which metrics a Grafana dashboard queries, and whether the services export them. Grafana
// shows an empty panel, not an error, for a metric nobody exports (a typo, a renamed counter),
// so the dashboard is checked against the services' real /metrics output instead.
//
// The PromQL scan is deliberately small: it knows selectors (`name{labels}`), functions
// (`name(`), grouping clauses (`by (...)`), range and subquery brackets, strings, numbers,
// Grafana's `$variables` and its `label_values()`, which is all a dashboard's queries use.

export interface DashboardQuery {
  panel: string;
  expr: string;
}

export interface MetricSelector {
  metric: string;
  /** The services its `service` matcher names (`=` or a `=~` alternation); null: no matcher, every service. */
  services: string[] | null;
  /** The Grafana variable its `service` matcher takes (`service=~"$service"`): the services that variable offers. */
  variable?: string;
}

/**
 * Every Prometheus target's expr, with its panel's title (rows' nested panels included), and
 * every query variable's query (`variable "<name>"`).
 */
export function dashboardQueries(dashboard: unknown): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const panel of panels as Array<{ title?: string; targets?: Array<{ expr?: unknown }>; panels?: unknown }>) {
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string' && target.expr.trim() !== '') queries.push({ panel: panel.title ?? '(untitled)', expr: target.expr });
      }
      visit(panel.panels);
    }
  };
  visit((dashboard as { panels?: unknown }).panels);
  const variables = (dashboard as { templating?: { list?: Array<{ name: string; type: string; query?: unknown }> } }).templating?.list ?? [];
  for (const variable of variables) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: unknown } | undefined)?.query;
    if (typeof query === 'string') queries.push({ panel: `variable "${variable.name}"`, expr: query });
  }
  return queries;
}

/**
 * A dashboard query as Prometheus would get it: Grafana's `label_values(<selector>, <label>)`
 * becomes its selector, and each `$name` / `${name}` its value in `values` (others stay,
 * and Prometheus will refuse them).
 */
export function promqlOf(expr: string, values: Readonly<Record<string, string>>): string {
  return labelValuesSelector(expr).replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => values[(braced ?? bare)!] ?? whole);
}

function labelValuesSelector(expr: string): string {
  return expr.replace(/^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$/s, '$1');
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);

/** The metric names an expr selects, each with the services its `service` matcher names. */
export function metricSelectors(expr: string): MetricSelector[] {
  // Label blocks first (they hold strings and names that are not metrics), then what else
  // cannot name a metric: strings, Grafana variables, ranges, grouping clauses.
  const blocks: string[] = [];
  // `${name}` as `$name` first: its braces are not a label block.
  let text = labelValuesSelector(expr).replace(/\$\{(\w+)\}/g, '$$$1').replace(/\{[^}]*\}/g, (block) => `{#${blocks.push(block) - 1}}`);
  text = text
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const selectors: MetricSelector[] = [];
  for (const match of text.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)\s*(\(|\{#(\d+)\})?/g)) {
    const [, name, after, block] = match;
    if (after === '(' || KEYWORDS.has(name!.toLowerCase())) continue;
    selectors.push({ metric: name!, ...serviceMatcher(block === undefined ? '' : blocks[Number(block)]!) });
  }
  return selectors;
}

function serviceMatcher(block: string): Omit<MetricSelector, 'metric'> {
  const match = /\bservice\s*(=~|=)\s*"([^"]*)"/.exec(block);
  if (!match) return { services: null };
  const variable = /^\$(\w+)$/.exec(match[2]!)?.[1];
  if (variable !== undefined) return { services: null, variable };
  return { services: match[1] === '=' ? [match[2]!] : match[2]!.split('|') };
}

/**
 * The services each `label_values(<metric>, service)` variable offers: those whose exposition
 * declares that metric (as Grafana would list them from Prometheus).
 */
export function variableServices(queries: readonly DashboardQuery[], exports: Readonly<Record<string, Set<string>>>): Record<string, string[]> {
  const offered: Record<string, string[]> = {};
  for (const { panel, expr } of queries) {
    const name = /^variable "(\w+)"$/.exec(panel)?.[1];
    const metric = /^\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*,\s*service\s*\)\s*$/.exec(expr)?.[1];
    if (name !== undefined && metric !== undefined) offered[name] = Object.keys(exports).filter((service) => exports[service]!.has(metric));
  }
  return offered;
}

/**
 * The sample names a text exposition declares, from its `# TYPE` lines (so a labelled counter
 * nothing incremented yet counts): histograms as their _bucket, _sum and _count series.
 */
export function exportedSampleNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name! + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name! + suffix);
    else names.add(name!);
  }
  return names;
}

/**
 * One line per metric a panel queries that a service it is about does not export. A selector
 * is about the services its `service` matcher names; with a variable (`$service`), those the
 * variable offers (`variables`, see variableServices); without a matcher, every service in
 * `exports`; a variable's query, at least one service. `generated` names series Prometheus
 * makes itself (`up`), which no service exports.
 */
export function missingMetrics(
  queries: readonly DashboardQuery[],
  exports: Readonly<Record<string, Set<string>>>,
  options: {
    generated?: ReadonlySet<string>;
    variables?: Readonly<Record<string, string[]>>;
    /** Services a panel may name that this checkout does not have, so nothing can check them here. */
    absent?: ReadonlySet<string>;
  } = {},
): string[] {
  const missing: string[] = [];
  for (const { panel, expr } of queries) {
    const selectors = metricSelectors(expr);
    if (selectors.length === 0) missing.push(`panel "${panel}": no metric in ${expr}`);
    for (const { metric, services, variable } of selectors) {
      if (options.generated?.has(metric)) continue;
      // A variable lists the services that have its metric: one is enough.
      if (panel.startsWith('variable ')) {
        if (!Object.values(exports).some((exported) => exported.has(metric))) missing.push(`${panel}: ${metric} is exported by no service`);
        continue;
      }
      const about = variable === undefined ? (services ?? Object.keys(exports)) : options.variables?.[variable];
      if (about === undefined) {
        missing.push(`panel "${panel}": ${metric} is about the services of $${variable}, which offers none known`);
        continue;
      }
      if (about.length === 0) missing.push(`panel "${panel}": ${metric} is about no service`);
      for (const service of about) {
        if (options.absent?.has(service)) continue;
        const exported = exports[service];
        if (exported === undefined) missing.push(`panel "${panel}": ${metric} is about service "${service}", which was not checked`);
        else if (!exported.has(metric)) missing.push(`panel "${panel}": ${metric} is not exported by ${service}`);
      }
    }
  }
  return missing;
}
