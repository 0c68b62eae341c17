// Monitors follow model versions: per-version concept-drift detectors, model events that set
// (or keep) a version's reference, and a superseded version whose alerts resolve once it
// receives no predictions.
import { describe, expect, it } from 'vitest';
import { parseAlertState, serializeAlertState, type AlertState } from '../../../shared/alerts/state-machine.js';
import { Codec } from '../../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { legacyDetectorOwner, runDetector, runVersionDetectors } from '../../../shared/monitor/concept-drift.js';
import { driftReport } from '../../../shared/monitor/drift-report.js';
import { evaluateRules } from '../../../shared/monitor/evaluate-rules.js';
import { performanceMetrics } from '../../../shared/monitor/performance.js';
import { buildReference, referenceFromModelEvent, referenceToFeatureProfiles } from '../../../shared/monitor/reference-profile.js';
import type { ModelEvent } from '../../../shared/codec/index.js';
import { createLogger } from '../../../shared/log/logger.js';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import { DriftPipeline, referenceAction } from '../../../shared/pipeline/drift-pipeline.js';
import { createServiceMetrics } from '../../../shared/runtime/metrics.js';
import type { ServiceContext } from '../../../shared/runtime/run-service.js';
import { topicNames } from '../../../shared/topics.js';
import { ADWIN } from '../../../shared/stats/detectors/index.js';
import { makeRandom, stream } from './events.js';

const END = 1_700_000_300_000;
const HORIZON = 300_000;
const config = { detector: 'adwin' as const, options: {} };

describe('runVersionDetectors', () => {
  const r = makeRandom(11);
  const calm = (n: number) => Array.from({ length: n }, () => (r() < 0.1 ? 1 : 0));
  const bad = (n: number) => Array.from({ length: n }, () => (r() < 0.7 ? 1 : 0));

  it('feeds each version only its own errors; a new version starts a fresh detector', () => {
    const v1 = [...calm(400), ...bad(400)];
    const v2 = calm(300);
    const first = runVersionDetectors({ end: END, detectorState: null, detectorStates: {} }, new Map([['1', v1.slice(0, 400)]]), config, HORIZON);
    expect(Object.keys(first.states)).toEqual(['1']);
    const second = runVersionDetectors(
      { end: END + 10_000, detectorState: null, detectorStates: first.states },
      new Map([['1', v1.slice(400)], ['2', v2]]),
      config,
      HORIZON,
    );
    // Version 1's detector equals ADWIN fed version 1's stream alone (River parity is the detector's own).
    const direct = new ADWIN();
    for (const e of v1) direct.update(e);
    expect(JSON.parse(second.states['1'] as string).state).toBe(JSON.stringify(direct.toJSON()));
    expect(second.runs.get('1')?.drifted).toBe(true);
    // Version 2's is fresh: the same as a new ADWIN fed version 2's errors, and it has not drifted.
    const fresh = new ADWIN();
    for (const e of v2) fresh.update(e);
    expect(JSON.parse(second.states['2'] as string)).toEqual({ state: JSON.stringify(fresh.toJSON()), lastDetection: null });
    expect(second.runs.get('2')).toMatchObject({ drifted: false, count: 300 });
  });

  it('leaves a version fed no errors unwritten, and keeps its detection recent only within the horizon', () => {
    const stored = { '1': JSON.stringify({ state: runDetector(null, calm(50), config).state, lastDetection: END - 20_000 }) };
    const out = runVersionDetectors({ end: END, detectorState: null, detectorStates: stored }, new Map([['1', []], ['2', calm(10)]]), config, HORIZON);
    expect(Object.keys(out.states)).toEqual(['2']);
    expect(out.runs.get('1')).toMatchObject({ drifted: true, count: 0 });
    const later = runVersionDetectors({ end: END + HORIZON, detectorState: null, detectorStates: stored }, new Map([['1', []]]), config, HORIZON);
    expect(later.runs.get('1')?.drifted).toBe(false);
  });

  it('carries the legacy model-wide detector over to the version with the most outcomes, once', () => {
    const legacy = JSON.stringify({ state: runDetector(null, calm(100), config).state, lastDetection: null });
    const errors = new Map([['1', calm(5)], ['2', calm(20)]]);
    expect(legacyDetectorOwner({ detectorState: legacy, detectorStates: {} }, errors)).toBe('2');
    expect(legacyDetectorOwner({ detectorState: legacy, detectorStates: { '2': legacy } }, errors)).toBeNull();
    expect(legacyDetectorOwner({ detectorState: null, detectorStates: {} }, errors)).toBeNull();
    expect(legacyDetectorOwner({ detectorState: legacy, detectorStates: {} }, new Map([['1', []]]))).toBeNull();
    const out = runVersionDetectors({ end: END, detectorState: legacy, detectorStates: {} }, errors, config, HORIZON);
    // The carried-over detector has seen the legacy 100 errors plus version 2's 20.
    const resumed = runDetector(JSON.parse(legacy).state, errors.get('2') as number[], config);
    expect(JSON.parse(out.states['2'] as string).state).toBe(resumed.state);
    expect(JSON.parse(out.states['1'] as string).state).toBe(runDetector(null, errors.get('1') as number[], config).state);
  });
});

describe('model events and references', () => {
  it('sets the reference on PROMOTED, keeps an existing one on ROLLED_BACK and CANDIDATE, ignores REJECTED', () => {
    expect(referenceAction('PROMOTED')).toBe('set');
    expect(referenceAction('ROLLED_BACK')).toBe('set-if-absent');
    expect(referenceAction('CANDIDATE')).toBe('set-if-absent');
    expect(referenceAction('REJECTED')).toBe('ignore');
  });

  it('round-trips a built reference through the model event profile', () => {
    const reference = buildReference(stream(500, 3), { bins: 10, maxCategories: 20 });
    const profiles = referenceToFeatureProfiles(reference);
    expect(profiles.map((p) => p.feature)).toEqual(['mobile', 'plan', 'x', '@prediction']);
    const codec = new Codec();
    const event = {
      model: 'm',
      version: '2',
      status: 'PROMOTED' as const,
      parentVersion: '1',
      artifactUri: 'file:///models/m/2',
      trigger: { kind: 'MANUAL' as const, alertId: null },
      challengerMetrics: {},
      championMetrics: {},
      trainingSize: 500,
      referenceProfile: profiles,
      time: END,
    };
    const encoded = codec.encode('model', event);
    const decoded = codec.decode('model', encoded.value, encoded.headers);
    const back = referenceFromModelEvent(decoded, 20);
    expect(back).not.toBeNull();
    // Same bins and vocabularies, so live events bin the same way; the drift of the
    // reference's own data against itself is none.
    expect(back?.features.x).toMatchObject({ type: 'numeric', edges: (reference.features.x as { edges: number[] }).edges, counts: reference.features.x?.counts });
    expect(back?.features.plan).toMatchObject({ type: 'categorical', vocabulary: ['basic', 'pro', 'team'] });
    expect(back?.features.mobile?.type).toBe('boolean');
    expect(back?.prediction).toMatchObject({ vocabulary: ['no', 'yes'] });
    expect(referenceFromModelEvent({ referenceProfile: [], trainingSize: 0 }, 20)).toBeNull();
  });
});

describe('DriftPipeline.handleModelEvents', () => {
  const profileOf = (shift: number) => referenceToFeatureProfiles(buildReference(stream(300, 9, shift), { bins: 10, maxCategories: 20 }));
  const event = (version: string, status: ModelEvent['status'], referenceProfile: ModelEvent['referenceProfile']): ModelEvent =>
    ({
      model: 'm',
      version,
      status,
      parentVersion: null,
      artifactUri: `file:///m/${version}`,
      trigger: { kind: 'MANUAL', alertId: null },
      challengerMetrics: {},
      championMetrics: {},
      trainingSize: 300,
      referenceProfile,
      time: END,
    }) as ModelEvent;

  async function run(events: ModelEvent[]): Promise<MemoryMonitorState> {
    const state = new MemoryMonitorState();
    // Only what the pipeline's construction and handleModelEvents touch: the decoded events, a logger, metrics.
    const service = {
      logger: createLogger('versions-test', { level: 'silent' }),
      metrics: createServiceMetrics('versions-test'),
      topics: topicNames('dw.'),
      decodeOrDeadLetter: async () => events.map((e, i) => ({ event: e, message: { offset: i } })),
    } as unknown as ServiceContext;
    const pipeline = new DriftPipeline({ service, state, config: parseMonitoringConfig({}), groupId: 'g' });
    await pipeline.handleModelEvents({ topic: 'dw.models', partition: 0, messages: [], lastOffset: events.length - 1 });
    return state;
  }
  const edgesOf = async (state: MemoryMonitorState, version: string) => {
    const json = await state.getReference('m', version);
    return json === null ? null : (JSON.parse(json).features.x.edges as number[])[0];
  };

  it('PROMOTED sets (and replaces) the reference; an event without a profile changes nothing', async () => {
    const state = await run([event('1', 'PROMOTED', profileOf(0)), event('1', 'PROMOTED', profileOf(100)), event('1', 'PROMOTED', [])]);
    expect(await edgesOf(state, '1')).toBeGreaterThanOrEqual(100);
  });

  it('ROLLED_BACK keeps an existing reference and sets a missing one; CANDIDATE only fills a gap; REJECTED sets nothing', async () => {
    const state = await run([
      event('1', 'PROMOTED', profileOf(0)),
      event('1', 'ROLLED_BACK', profileOf(100)),
      event('2', 'ROLLED_BACK', profileOf(200)),
      event('3', 'CANDIDATE', profileOf(300)),
      event('3', 'CANDIDATE', profileOf(400)),
      event('3', 'PROMOTED', profileOf(500)),
      event('4', 'REJECTED', profileOf(600)),
    ]);
    expect(await edgesOf(state, '1')).toBeLessThan(100);
    expect(await edgesOf(state, '2')).toBeGreaterThanOrEqual(200);
    expect(await edgesOf(state, '3')).toBeGreaterThanOrEqual(500);
    expect(await edgesOf(state, '4')).toBeNull();
  });
});

describe('a version that no longer receives predictions', () => {
  const settings = resolveModelConfig(parseMonitoringConfig({ defaults: { alerts: [{ metric: 'accuracy', comparison: 'below', warning: 0.8, minCount: 5 }] } }), 'm');
  const rules = settings.alerts;
  const window = { start: END - HORIZON, end: END };
  const firing = (value: number): string =>
    serializeAlertState({ status: 'firing', severity: 'WARNING', count: 3, since: END - 30_000, lastFiredAt: END - 20_000, lastResolvedAt: null, value } satisfies AlertState);

  it('today: an empty window leaves a firing alert firing (the state machine skips it)', () => {
    const empty = performanceMetrics('binary', {}, {}, { positiveLabel: 'yes' });
    const stored = { 'm|1|PERFORMANCE|accuracy|': firing(0.6) };
    const out = evaluateRules(rules, { model: 'm', version: '1', performance: empty }, stored, END, window);
    expect(out.alerts).toEqual([]);
    expect(parseAlertState(out.states['m|1|PERFORMANCE|accuracy|'] as string).status).toBe('firing');
  });

  it('resolves every firing alert of the silent version, with a message saying why, and resets pending ones', () => {
    const pending = serializeAlertState({ status: 'pending', severity: 'WARNING', count: 1, since: END - 10_000, lastFiredAt: null, lastResolvedAt: null, value: 0.3 });
    const stored = {
      'm|1|PERFORMANCE|accuracy|': firing(0.6),
      'm|1|CONCEPT_DRIFT|concept_drift|': firing(2),
      'm|1|DATA_DRIFT|drift|x': pending,
      'm|1|DATA_QUALITY|missing_rate|plan': serializeAlertState({ status: 'ok', severity: null, count: 0, since: null, lastFiredAt: null, lastResolvedAt: null, value: 0 }),
      // Another version's and another model's alerts are not touched.
      'm|2|PERFORMANCE|accuracy|': firing(0.5),
      'other|1|PERFORMANCE|accuracy|': firing(0.5),
    };
    const empty = performanceMetrics('binary', {}, {}, { positiveLabel: 'yes' });
    const out = evaluateRules(rules, { model: 'm', version: '1', performance: empty, silent: true }, stored, END, window);
    expect(out.alerts.map((a) => `${a.key}:${a.status}:${a.severity}`).sort()).toEqual([
      'm|1|CONCEPT_DRIFT|concept_drift|:RESOLVED:WARNING',
      'm|1|PERFORMANCE|accuracy|:RESOLVED:WARNING',
    ]);
    expect(Object.keys(out.states).sort()).toEqual(['m|1|CONCEPT_DRIFT|concept_drift|', 'm|1|DATA_DRIFT|drift|x', 'm|1|PERFORMANCE|accuracy|']);
    for (const json of Object.values(out.states)) expect(parseAlertState(json).status).toBe('ok');
    expect(parseAlertState(out.states['m|1|PERFORMANCE|accuracy|'] as string).lastResolvedAt).toBe(END);
    expect(parseAlertState(out.states['m|1|DATA_DRIFT|drift|x'] as string).lastResolvedAt).toBeNull();
    const accuracy = out.alerts.find((a) => a.kind === 'PERFORMANCE');
    expect(accuracy).toMatchObject({ id: `m|1|PERFORMANCE|accuracy|@${END}`, modelVersion: '1', window: { ...window, count: 0 }, threshold: 0.8, value: 0.6 });
    expect(accuracy?.message).toContain('version 1 of m no longer receives predictions');
    expect(accuracy?.details).toMatchObject({ reason: 'version_silent', rule: 'accuracy' });
    // The events encode.
    const codec = new Codec();
    for (const alert of out.alerts) {
      const encoded = codec.encode('alert', alert);
      expect(codec.decode('alert', encoded.value, encoded.headers).status).toBe('RESOLVED');
    }
    // Nothing firing is left: the next silent evaluation publishes nothing.
    expect(evaluateRules(rules, { model: 'm', version: '1', silent: true }, { ...stored, ...out.states }, END + 10_000, window).alerts).toEqual([]);
  });

  it('a drift report over empty windows counts 0 predictions (what the drift service calls silent)', () => {
    const reference = buildReference(stream(200, 4), { bins: 10, maxCategories: 20 });
    expect(driftReport(reference, { feat: {}, pred: {}, dq: {} }, settings).count).toBe(0);
  });
});
