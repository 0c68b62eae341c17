// The console's settings from the environment, checked once at start: a bad value is a
// ConfigError naming the variable (exit status 2), never a surprise at the first request.
import { ConfigError } from '../config/runtime-config.js';

export const DEFAULT_CONSOLE_PORT = 8090;
export const DEFAULT_CONSOLE_OPS_PORT = 9467;
export const DEFAULT_HISTORY_MS = 24 * 3_600_000;
/** Snapshots kept per (model, version, horizon): a 5m horizon reported every 10 s has 8 640 a day, so this binds first there. */
export const DEFAULT_MAX_SNAPSHOTS_PER_SERIES = 2_000;
/**
 * Snapshots kept in all: about 5 KB each for a classifier with 10 features (44 metrics, 11 drift
 * columns; measured), so the default holds the history to roughly 250 MB.
 */
export const DEFAULT_MAX_SNAPSHOTS = 50_000;
export const DEFAULT_RETRAINER_URL = 'http://127.0.0.1:9466';

export interface ConsoleConfig {
  /** User-facing HTTP port (page, API, SSE); 0 picks a free one. */
  port: number;
  /** Interface to bind; 127.0.0.1 whenever there is no token. */
  host: string;
  /** Bearer token every request must carry; null = none (then loopback only). */
  token: string | null;
  /** How far back the history reaches (event time, against the wall clock). */
  historyMs: number;
  maxSnapshotsPerSeries: number;
  /** Snapshots kept in all series together. */
  maxSnapshots: number;
  /** Alert keys kept (oldest latest-transition dropped first). */
  maxAlerts: number;
  /** Transitions kept per alert key. */
  maxAlertHistory: number;
  maxIncidents: number;
  /** The retrainer's base URL (POST retrain is forwarded there). */
  retrainerUrl: string;
}

/** `24h`, `90m`, `30s`, `2d` or plain milliseconds. */
export function parseDuration(text: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const value = match ? Number(match[1]) * unit[(match[2] ?? 'ms') as keyof typeof unit] : NaN;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a duration like 24h, 90m or 30s, got "${text}"`);
  return Math.round(value);
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function httpUrl(text: string, name: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, got "${text}"`);
  return url.href.replace(/\/+$/, '');
}

export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const token = env.DW_CONSOLE_TOKEN?.trim() || null;
  const historyText = env.DW_CONSOLE_HISTORY?.trim();
  return {
    port: integer(env, 'DW_CONSOLE_PORT', DEFAULT_CONSOLE_PORT, 0, 65_535),
    // Without a token the API (which can roll a model back) must not be reachable from elsewhere.
    host: token === null ? '127.0.0.1' : env.DW_CONSOLE_HOST?.trim() || '0.0.0.0',
    token,
    historyMs: historyText ? parseDuration(historyText, 'DW_CONSOLE_HISTORY') : DEFAULT_HISTORY_MS,
    maxSnapshotsPerSeries: integer(env, 'DW_CONSOLE_MAX_SNAPSHOTS', DEFAULT_MAX_SNAPSHOTS_PER_SERIES, 1),
    maxSnapshots: integer(env, 'DW_CONSOLE_MAX_SNAPSHOTS_TOTAL', DEFAULT_MAX_SNAPSHOTS, 1),
    maxAlerts: integer(env, 'DW_CONSOLE_MAX_ALERTS', 5_000, 1),
    maxAlertHistory: integer(env, 'DW_CONSOLE_MAX_ALERT_HISTORY', 50, 1),
    maxIncidents: integer(env, 'DW_CONSOLE_MAX_INCIDENTS', 1_000, 1),
    retrainerUrl: httpUrl(env.DW_RETRAINER_URL?.trim() || DEFAULT_RETRAINER_URL, 'DW_RETRAINER_URL'),
  };
}
