// A setting that may be a secret: written inline, or read from an environment variable or a
// file (a Docker/Kubernetes secret mount) so the config file itself can be committed. Every
// value read this way is registered with the logger, which then never writes it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { registerSecret } from '../log/logger.js';

/** `"text"`, `{ env: NAME }` or `{ file: /path }`; the resolved string (a file's trailing newline dropped). */
export const secretString = z
  .union([z.string(), z.strictObject({ env: z.string().min(1) }), z.strictObject({ file: z.string().min(1) })])
  .transform((value, ctx) => {
    const resolved = resolveSecret(value);
    if ('problem' in resolved) {
      ctx.addIssue({ code: 'custom', message: resolved.problem });
      return z.NEVER;
    }
    registerSecret(resolved.value);
    return resolved.value;
  })
  .pipe(z.string().min(1, 'is empty'));

function resolveSecret(value: string | { env: string } | { file: string }): { value: string } | { problem: string } {
  if (typeof value === 'string') return { value };
  if ('env' in value) {
    const text = process.env[value.env];
    return text === undefined ? { problem: `environment variable ${value.env} is not set` } : { value: text };
  }
  try {
    return { value: readFileSync(value.file, 'utf8').replace(/\r?\n$/, '') };
  } catch (error) {
    return { problem: `cannot read ${value.file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})` };
  }
}

/**
 * A destination URL, treated as a secret as a whole (Slack's and most webhook URLs carry their
 * token in the path): registered with the logger, and so is its path and query on their own,
 * and its password. Log a sink by its name, never by its URL.
 */
export const secretUrl = secretString.pipe(
  z.string().transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not a URL' });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      return z.NEVER;
    }
    registerSecret(`${url.pathname}${url.search}`);
    if (url.password) registerSecret(decodeURIComponent(url.password));
    return text;
  }),
);
