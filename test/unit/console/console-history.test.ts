import { describe, expect, it } from 'vitest';
import { Codec, type EventInputMap, type EventMap, type EventType } from '../../../shared/codec/index.js';
import { ConsoleHistory, type HistoryLimits } from '../../../shared/console/console-history.js';
import { alertAt, incidentAt, modelEventAt, snapshotAt } from '../../support/console-events.js';

const codec = new Codec();
/** The event as a consumer gets it: encoded and decoded (defaults filled in). */
function decoded<K extends EventType>(kind: K, input: EventInputMap[K]): EventMap[K] {
  const encoded = codec.encode(kind, input);
  return codec.decode(kind, encoded.value, encoded.headers);
}

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const limits: HistoryLimits = { historyMs: 24 * HOUR, maxSnapshotsPerSeries: 5, maxAlerts: 3, maxAlertHistory: 4, maxIncidents: 2 };

function history(overrides: Partial<HistoryLimits> = {}, now: () => number = () => NOW): ConsoleHistory {
  return new ConsoleHistory({ ...limits, ...overrides }, now);
}

describe('console history: snapshots', () => {
  it('sorts windows by end whatever the arrival order, merges versions, and filters by version, since and limit', () => {
    const h = history();
    for (const end of [NOW - 3_000, NOW - 1_000, NOW - 2_000]) h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', end)));
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '2', '5m', NOW - 1_500)));
    expect(h.windows('m', '5m').map((s) => [s.version, s.end])).toEqual([
      ['1', NOW - 3_000],
      ['1', NOW - 2_000],
      ['2', NOW - 1_500],
      ['1', NOW - 1_000],
    ]);
    expect(h.windows('m', '5m', { version: '2' }).map((s) => s.end)).toEqual([NOW - 1_500]);
    expect(h.windows('m', '5m', { since: NOW - 2_000 }).map((s) => s.end)).toEqual([NOW - 2_000, NOW - 1_500, NOW - 1_000]);
    expect(h.windows('m', '5m', { limit: 2 }).map((s) => s.end)).toEqual([NOW - 1_500, NOW - 1_000]);
    expect(h.windows('m', '1h')).toEqual([]);
  });

  it('merges the performance and the drift snapshot of the same window into one entry (SSE sends the merged one)', () => {
    const h = history();
    const drift = [{ feature: 'x', statistic: 'psi', value: 0.3, threshold: 0.2, drifted: true, pValue: null }];
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 1_000, { metrics: { dataset_drift_share: 0.5, 'prediction_share:yes': 1 }, drift, labelCoverage: null })));
    const event = h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 1_000, { metrics: { accuracy: 0.8 }, drift: [], labelCoverage: 0.9 })));
    const merged = { metrics: { dataset_drift_share: 0.5, accuracy: 0.8 }, drift, labelCoverage: 0.9, predictionShares: { yes: 1 } };
    expect(h.windows('m', '5m')).toEqual([expect.objectContaining(merged)]);
    expect(event).toEqual({ type: 'snapshot', data: { model: 'm', horizon: '5m', snapshot: expect.objectContaining(merged) } });
  });

  it('a re-published snapshot of the same window overrides what it carries instead of adding an entry', () => {
    const h = history();
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 1_000, { metrics: { accuracy: 0.5 } })));
    const event = h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 1_000, { metrics: { accuracy: 0.7 } })));
    expect(event?.type).toBe('snapshot');
    expect(h.windows('m', '5m').map((s) => s.metrics.accuracy)).toEqual([0.7]);
    expect(h.sizes().snapshots).toBe(1);
  });

  it('splits the share metrics out into predictionShares and referenceShares (null when absent)', () => {
    const h = history();
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 1_000)));
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '1h', NOW - 1_000, { metrics: { accuracy: 0.8 } })));
    const [withShares] = h.windows('m', '5m');
    expect(withShares).toMatchObject({ metrics: { accuracy: 0.9 }, predictionShares: { yes: 0.4, no: 0.6 }, referenceShares: { yes: 0.5, no: 0.5 } });
    expect(Object.keys(withShares!.metrics)).toEqual(['accuracy']);
    expect(h.windows('m', '1h')[0]).toMatchObject({ predictionShares: null, referenceShares: null });
  });

  it('is bounded by time (window end older than the history) and by a count per series', () => {
    let now = NOW;
    const h = history({ historyMs: 10_000 }, () => now);
    expect(h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 20_000)))).toBeNull();
    for (let i = 0; i < 8; i++) h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 8_000 + i * 1_000)));
    // The cap (5) keeps the newest.
    expect(h.windows('m', '5m').map((s) => s.end)).toEqual([NOW - 5_000, NOW - 4_000, NOW - 3_000, NOW - 2_000, NOW - 1_000]);
    // A late window older than all kept ones does not displace any.
    expect(h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 9_000)))).toBeNull();
    expect(h.sizes().snapshots).toBe(5);
    now = NOW + 7_500;
    h.prune();
    expect(h.windows('m', '5m').map((s) => s.end)).toEqual([NOW - 2_000, NOW - 1_000]);
    now = NOW + 60_000;
    h.prune();
    expect(h.sizes().snapshots).toBe(0);
    expect(h.models()).toEqual([]);
  });
});

describe('console history: the total snapshot cap', () => {
  it('cuts the longest series (oldest windows first) when all series together exceed it', () => {
    const h = history({ maxSnapshotsPerSeries: 100, maxSnapshots: 14 });
    const add = (version: string, n: number) => {
      for (let i = n; i >= 1; i--) h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', version, '5m', NOW - i * 1_000)));
    };
    add('a', 10);
    add('b', 3);
    add('c', 2);
    // 15 > 14: cut to 13 (1 % below the cap, rounded down) by shortening only the longest series.
    expect(h.sizes().snapshots).toBe(13);
    expect(h.windows('m', '5m', { version: 'a' }).map((s) => s.end)).toEqual([8, 7, 6, 5, 4, 3, 2, 1].map((i) => NOW - i * 1_000));
    expect(h.windows('m', '5m', { version: 'b' })).toHaveLength(3);
    expect(h.windows('m', '5m', { version: 'c' })).toHaveLength(2);
  });
});

describe('console history: alerts', () => {
  it('keeps one entry per key with its transitions, firedAt and resolvedAt, and drops duplicate transitions', () => {
    const h = history();
    h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a1', 'FIRING', NOW - 5_000)));
    h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a2', 'FIRING', NOW - 4_000, { severity: 'CRITICAL', value: 0.5 })));
    expect(h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a2', 'FIRING', NOW - 4_000)))).toBeNull();
    const [firing] = h.alerts();
    expect(firing).toMatchObject({ key: 'k1', status: 'FIRING', severity: 'CRITICAL', firedAt: NOW - 5_000, resolvedAt: null });
    expect(firing!.history.map((t) => t.id)).toEqual(['a1', 'a2']);
    expect(h.models()[0]?.firingAlerts).toBe(1);

    h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a3', 'RESOLVED', NOW - 1_000)));
    const [resolved] = h.alerts();
    expect(resolved).toMatchObject({ status: 'RESOLVED', firedAt: NOW - 5_000, resolvedAt: NOW - 1_000 });
    expect(resolved!.history.map((t) => t.status)).toEqual(['FIRING', 'FIRING', 'RESOLVED']);
    expect(h.alerts({ status: 'FIRING' })).toEqual([]);
  });

  it('a transition delivered late joins the history without becoming the latest', () => {
    const h = history();
    h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a2', 'RESOLVED', NOW - 1_000)));
    h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a1', 'FIRING', NOW - 5_000)));
    const [entry] = h.alerts();
    expect(entry).toMatchObject({ status: 'RESOLVED', time: NOW - 1_000, firedAt: NOW - 5_000 });
    expect(entry!.history.map((t) => t.id)).toEqual(['a1', 'a2']);
  });

  it('lists newest first, filters by model and status, and caps keys and transitions per key', () => {
    const h = history();
    h.applyAlert(decoded('alert', alertAt('m', 'k1', 'a1', 'FIRING', NOW - 9_000)));
    h.applyAlert(decoded('alert', alertAt('m', 'k2', 'b1', 'RESOLVED', NOW - 8_000)));
    h.applyAlert(decoded('alert', alertAt('other', 'k3', 'c1', 'FIRING', NOW - 7_000)));
    expect(h.alerts().map((a) => a.key)).toEqual(['k3', 'k2', 'k1']);
    expect(h.alerts({ model: 'm', status: 'FIRING' }).map((a) => a.key)).toEqual(['k1']);
    expect(h.alerts({ limit: 1 }).map((a) => a.key)).toEqual(['k3']);
    // A fourth key: over the cap (3) the oldest resolved key goes before any firing one.
    h.applyAlert(decoded('alert', alertAt('m', 'k4', 'd1', 'FIRING', NOW - 6_000)));
    expect(h.alerts().map((a) => a.key).sort()).toEqual(['k1', 'k3', 'k4']);
    for (let i = 0; i < 6; i++) h.applyAlert(decoded('alert', alertAt('m', 'k1', `x${i}`, i % 2 ? 'RESOLVED' : 'FIRING', NOW - 5_000 + i)));
    expect(h.alerts({ model: 'm' }).find((a) => a.key === 'k1')!.history.map((t) => t.id)).toEqual(['x2', 'x3', 'x4', 'x5']);
  });
});

describe('console history: models and incidents', () => {
  it('takes the champion from the registry rules: the last PROMOTED or ROLLED_BACK, a stale fenced PROMOTED ignored', () => {
    const h = history();
    let offset = 0;
    const apply = (input: EventInputMap['model']) => h.applyModel(decoded('model', input), offset++);
    apply(modelEventAt('m', '1', 'PROMOTED', NOW - 10_000, { fencingToken: 1 }));
    apply(modelEventAt('m', '2', 'CANDIDATE', NOW - 9_000, { fencingToken: 3 }));
    apply(modelEventAt('m', '2', 'PROMOTED', NOW - 8_000, { fencingToken: 3, parentVersion: '1' }));
    // A retrainer that lost its lock (token 2 < 3) publishes late: ignored.
    apply(modelEventAt('m', '3', 'PROMOTED', NOW - 7_000, { fencingToken: 2 }));
    expect(h.model('m')!.champion).toBe('2');
    const event = apply(modelEventAt('m', '1', 'ROLLED_BACK', NOW - 6_000, { reason: 'manual rollback' }));
    expect(event.data).toMatchObject({ model: 'm', version: '1', status: 'ROLLED_BACK', reason: 'manual rollback' });
    const detail = h.model('m')!;
    expect(detail.champion).toBe('1');
    expect(detail.versions.map((v) => [v.version, v.status])).toEqual([
      ['1', 'ROLLED_BACK'],
      ['2', 'PROMOTED'],
      ['3', 'PROMOTED'],
    ]);
    expect(detail.versions[1]).toMatchObject({ parentVersion: '1', events: [{ status: 'CANDIDATE' }, { status: 'PROMOTED' }] });
    expect(h.models()[0]).toMatchObject({ model: 'm', champion: '1', versions: ['1', '2', '3'] });
  });

  it('keeps model events whatever their age (the champion may be older than the history)', () => {
    const h = history();
    h.applyModel(decoded('model', modelEventAt('m', '1', 'PROMOTED', NOW - 30 * 24 * HOUR)), 0);
    expect(h.model('m')!.champion).toBe('1');
  });

  it('keeps the latest value per incident id (a late older update does not win), newest openedAt first, capped', () => {
    const h = history();
    h.applyIncident(decoded('incident', incidentAt('m', 'i1', 'TRAINING', NOW - 9_000, NOW - 8_000)));
    h.applyIncident(decoded('incident', incidentAt('m', 'i1', 'PROMOTED', NOW - 9_000, NOW - 7_000)));
    expect(h.applyIncident(decoded('incident', incidentAt('m', 'i1', 'OPEN', NOW - 9_000, NOW - 9_000)))).toBeNull();
    h.applyIncident(decoded('incident', incidentAt('m', 'i2', 'OPEN', NOW - 5_000, NOW - 5_000)));
    expect(h.incidents().map((i) => [i.id, i.status])).toEqual([
      ['i2', 'OPEN'],
      ['i1', 'PROMOTED'],
    ]);
    expect(h.retrains('m')[1]).toMatchObject({ incidentId: 'i1', status: 'PROMOTED', championVersion: '3', challengerVersion: '4' });
    h.applyIncident(decoded('incident', incidentAt('m', 'i3', 'OPEN', NOW - 4_000, NOW - 4_000)));
    expect(h.incidents().map((i) => i.id)).toEqual(['i3', 'i2']);
    expect(h.applyIncident(decoded('incident', incidentAt('m', 'old', 'OPEN', NOW - 48 * HOUR, NOW - 48 * HOUR)))).toBeNull();
  });

  it('knows a model from any of the four topics and sorts horizons by length', () => {
    const h = history();
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '1h', NOW - 1_000)));
    h.applySnapshot(decoded('metricsSnapshot', snapshotAt('m', '1', '5m', NOW - 1_000)));
    h.applyAlert(decoded('alert', alertAt('a-only', 'k', 'a1', 'FIRING', NOW - 1_000)));
    expect(h.models().map((m) => m.model)).toEqual(['a-only', 'm']);
    expect(h.model('m')!.horizons).toEqual(['5m', '1h']);
    expect(h.model('nope')).toBeNull();
  });
});
