// Writes a replay's two artifacts side by side: report.json for machines, report.html for people.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReportHtml, type RenderOptions } from './html.js';
import type { Report } from './types.js';

export interface WrittenReport {
  json: string;
  html: string;
}

export async function writeReport(dir: string, report: Report, options: RenderOptions = {}): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(html, renderReportHtml(report, options));
  return { json, html };
}
