// Alerts by key: each key's latest transition plus its transitions in order (deduplicated on the
// transition id, as at-least-once delivery requires), bounded by time (a key whose latest
// transition is older than the history goes), by the number of keys and by transitions per key.
import type { Alert } from '../codec/index.js';

export interface AlertTransition {
  id: string;
  status: Alert['status'];
  severity: Alert['severity'];
  value: number;
  time: number;
}

export interface AlertEntry {
  key: string;
  model: string;
  modelVersion: string;
  kind: Alert['kind'];
  status: Alert['status'];
  severity: Alert['severity'];
  metric: string;
  feature: string | null;
  value: number;
  threshold: number;
  window: Alert['window'];
  message: string;
  time: number;
  /** When the key last went FIRING (null when no FIRING transition is held). */
  firedAt: number | null;
  /** When it resolved, while it is resolved; null while firing. */
  resolvedAt: number | null;
  history: AlertTransition[];
}

export interface AlertQuery {
  model?: string;
  status?: Alert['status'];
  limit?: number;
}

/** Newest first: by window end, then event time. */
function newestFirst(a: AlertEntry, b: AlertEntry): number {
  return b.window.end - a.window.end || b.time - a.time;
}

function eventTime(alert: Pick<Alert, 'window' | 'time'>): number {
  return Math.max(alert.window.end, alert.time);
}

/** Start of the latest firing streak (a FIRING after a RESOLVED or first); severity changes do not restart it. */
function firingSince(history: readonly AlertTransition[]): number | null {
  let since: number | null = null;
  let previous: AlertTransition['status'] | null = null;
  for (const transition of history) {
    if (transition.status === 'FIRING' && previous !== 'FIRING') since = transition.time;
    previous = transition.status;
  }
  return since;
}

export class AlertHistory {
  private readonly byKey = new Map<string, AlertEntry>();

  constructor(
    private readonly maxKeys: number,
    private readonly maxTransitionsPerKey: number,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** The key's entry after the transition; null when it was a duplicate or older than `cutoff`. */
  add(alert: Alert, cutoff: number): AlertEntry | null {
    if (eventTime(alert) < cutoff) return null;
    const known = this.byKey.get(alert.key);
    if (known?.history.some((t) => t.id === alert.id)) return null;
    const transition: AlertTransition = { id: alert.id, status: alert.status, severity: alert.severity, value: alert.value, time: alert.time };
    const history = [...(known?.history ?? []), transition].sort((a, b) => a.time - b.time);
    if (history.length > this.maxTransitionsPerKey) history.splice(0, history.length - this.maxTransitionsPerKey);
    // A transition delivered late (older than the key's latest) joins the history only.
    const latestIsThis = !known || alert.time >= known.time;
    const base: AlertEntry = latestIsThis
      ? {
          key: alert.key,
          model: alert.model,
          modelVersion: alert.modelVersion,
          kind: alert.kind,
          status: alert.status,
          severity: alert.severity,
          metric: alert.metric,
          feature: alert.feature,
          value: alert.value,
          threshold: alert.threshold,
          window: alert.window,
          message: alert.message,
          time: alert.time,
          firedAt: known?.firedAt ?? null,
          resolvedAt: null,
          history,
        }
      : { ...known, history };
    base.firedAt = firingSince(history) ?? base.firedAt;
    base.resolvedAt = base.status === 'RESOLVED' ? base.time : null;
    this.byKey.delete(alert.key);
    this.byKey.set(alert.key, base);
    this.evictOverCap();
    return base;
  }

  prune(cutoff: number): void {
    for (const [key, entry] of this.byKey) if (eventTime(entry) < cutoff) this.byKey.delete(key);
  }

  list(query: AlertQuery = {}): AlertEntry[] {
    const picked = [...this.byKey.values()].filter(
      (entry) => (query.model === undefined || entry.model === query.model) && (query.status === undefined || entry.status === query.status),
    );
    picked.sort(newestFirst);
    return query.limit === undefined ? picked : picked.slice(0, query.limit);
  }

  firing(model: string): number {
    let n = 0;
    for (const entry of this.byKey.values()) if (entry.model === model && entry.status === 'FIRING') n += 1;
    return n;
  }

  models(): string[] {
    return [...new Set([...this.byKey.values()].map((entry) => entry.model))];
  }

  /** Over the cap, the keys with the oldest latest transition go first (resolved before firing). */
  private evictOverCap(): void {
    if (this.byKey.size <= this.maxKeys) return;
    const order = [...this.byKey.values()].sort((a, b) => Number(a.status === 'FIRING') - Number(b.status === 'FIRING') || newestFirst(b, a));
    for (const entry of order.slice(0, this.byKey.size - this.maxKeys)) this.byKey.delete(entry.key);
  }
}
