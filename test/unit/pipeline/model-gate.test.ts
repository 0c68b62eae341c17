import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, limitOverrides, parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { RateLimitedLog } from '../../../shared/log/rate-limited.js';
import { MemoryModelAdmission } from '../../../shared/monitor-state/memory-admit-model.js';
import { IdleModels, ModelGate } from '../../../shared/pipeline/model-gate.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';

function capture() {
  const lines: { level: number; msg: string; suppressed?: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function gate(options: { maxModels?: number; idleExpiryMs?: number; onlyConfiguredModels?: boolean; configured?: string[] } = {}) {
  let clock = 1_700_000_000_000;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  const admission = new MemoryModelAdmission(keyspace);
  const { logger, lines } = capture();
  const make = () =>
    new ModelGate({
      admission,
      namespace: 'dw.',
      limits: { maxModels: options.maxModels ?? 3, idleExpiryMs: options.idleExpiryMs ?? 10_000, onlyConfiguredModels: options.onlyConfiguredModels ?? false },
      configured: options.configured ?? [],
      log: new RateLimitedLog(logger, { now: () => clock }),
      service: 'test',
      now: () => clock,
      confirmEveryMs: 1_000,
      refusalTtlMs: 2_000,
    });
  return { make, admission, lines, advance: (ms: number) => void (clock += ms) };
}

describe('ModelGate', () => {
  it('admits up to maxModels across instances, refuses the rest with a reason, and re-admits known ones', async () => {
    const { make } = gate({ maxModels: 3 });
    const a = make();
    const b = make(); // a second instance: same admission set
    for (const m of ['m1', 'm2']) expect(await a.admit(m)).toEqual({ admitted: true });
    expect(await b.admit('m3')).toEqual({ admitted: true });
    const refused = await b.admit('m4');
    expect(refused.admitted).toBe(false);
    expect(refused.admitted === false && refused.reason).toMatch(/3 models are monitored already \(maxModels 3\)/);
    expect((await a.admit('m4')).admitted).toBe(false);
    expect(await b.admit('m1')).toEqual({ admitted: true });
  });

  it('frees the slot of a model idle for the idle expiry; a refusal is retried after its ttl', async () => {
    const { make, advance } = gate({ maxModels: 2, idleExpiryMs: 10_000 });
    const g = make();
    await g.admit('old');
    advance(6_000);
    await g.admit('busy');
    expect((await g.admit('new')).admitted).toBe(false);
    advance(1_000);
    expect((await g.admit('new')).admitted).toBe(false); // refusal remembered for 2 s
    advance(4_000); // old: 11 s idle; busy: 5 s
    expect(await g.admit('new')).toEqual({ admitted: true });
    expect(await g.admit('busy')).toEqual({ admitted: true });
    expect((await g.admit('old')).admitted).toBe(false);
  });

  it('with onlyConfiguredModels admits only configured models, without asking the admission set', async () => {
    const { make, admission } = gate({ onlyConfiguredModels: true, configured: ['churn'] });
    let calls = 0;
    const admit = admission.admit.bind(admission);
    admission.admit = async (...args) => (calls++, admit(...args));
    const g = make();
    const refused = await g.admit('other');
    expect(refused.admitted === false && refused.reason).toMatch(/onlyConfiguredModels/);
    expect(calls).toBe(0);
    expect(await g.admit('churn')).toEqual({ admitted: true });
    expect(calls).toBe(1);
  });

  it('asks the admission set again only every confirmEveryMs for an admitted model', async () => {
    const { make, admission, advance } = gate();
    let calls = 0;
    const admit = admission.admit.bind(admission);
    admission.admit = async (...args) => (calls++, admit(...args));
    const g = make();
    for (let i = 0; i < 10; i++) await g.admit('m');
    expect(calls).toBe(1);
    advance(1_000);
    await g.admit('m');
    expect(calls).toBe(2);
  });

  it('logs new and refused models rate-limited, then one summary line', async () => {
    const { make, lines, advance } = gate({ maxModels: 25, idleExpiryMs: 10_000_000 });
    const g = make();
    for (let i = 0; i < 100; i++) await g.admit(`m${i}`);
    const admitted = lines.filter((l) => l.msg === 'new model admitted for monitoring');
    const refused = lines.filter((l) => l.msg.startsWith('model refused'));
    expect(admitted).toHaveLength(20);
    expect(refused).toHaveLength(20);
    advance(60_000);
    await g.admit('m0');
    await g.admit('late');
    // The refusals' window ended: one summary of the 55 refusals not logged (the admissions'
    // summary comes with their next line, or from its timer).
    const summaries = lines.filter((l) => l.suppressed !== undefined);
    expect(summaries.map((l) => l.suppressed)).toEqual([55]);
  });
});

describe('IdleModels', () => {
  it('evicts models idle longer than the idle time and the least recently used beyond the capacity', () => {
    let clock = 0;
    const evicted: string[] = [];
    const idle = new IdleModels({ idleMs: 100, capacity: 3, evict: (m) => evicted.push(m), now: () => clock });
    idle.touch('a');
    idle.touch('b');
    idle.touch('c');
    idle.touch('a');
    idle.touch('d'); // capacity 3: b is the least recently used
    expect(evicted).toEqual(['b']);
    clock = 150;
    idle.touch('d'); // a, c idle > 100
    expect(evicted).toEqual(['b', 'c', 'a']);
    expect(idle.size).toBe(1);
  });
});

describe('RateLimitedLog', () => {
  it('lets perWindow lines through and summarises the rest when the window ends', () => {
    let clock = 0;
    const { logger, lines } = capture();
    const log = new RateLimitedLog(logger, { perWindow: 3, windowMs: 1_000, now: () => clock });
    for (let i = 0; i < 10; i++) log.info({ model: `m${i}` }, 'hello');
    expect(lines).toHaveLength(3);
    clock = 1_000;
    log.info({ model: 'x' }, 'hello');
    expect(lines.map((l) => l.suppressed)).toEqual([undefined, undefined, undefined, 7, undefined]);
    log.flush();
    expect(lines).toHaveLength(5);
  });
});

describe('model limits in the monitoring config', () => {
  it('defaults to 1,000 models and 7 days; the file and the environment set them', () => {
    expect(parseMonitoringConfig({}).limits).toEqual({ maxModels: 1_000, onlyConfiguredModels: false, idleExpiryMs: 7 * 86_400_000 });
    const config = parseMonitoringConfig({ maxModels: 50, onlyConfiguredModels: true, idleExpiry: '3d' }, 'c', limitOverrides({ DW_MAX_MODELS: '7' }));
    expect(config.limits).toEqual({ maxModels: 7, onlyConfiguredModels: true, idleExpiryMs: 3 * 86_400_000 });
    expect(resolveModelConfig(config, 'x').idleExpiryMs).toBe(3 * 86_400_000);
    expect(limitOverrides({ DW_MODEL_IDLE_EXPIRY: '90s' })).toEqual({ idleExpiryMs: 90_000 });
    expect(() => limitOverrides({ DW_MAX_MODELS: '0' })).toThrow(ConfigError);
  });

  it('refuses an idle expiry shorter than a model retention plus twice its label horizon', () => {
    expect(() => parseMonitoringConfig({ idleExpiry: '1d' })).toThrow(/idleExpiry 1d is shorter than defaults's retention \+ 2 × labelHorizonMs/);
    expect(() => parseMonitoringConfig({ idleExpiry: '10s', defaults: { bucketMs: '1s', horizons: ['2s'], evaluationHorizon: '2s', allowedLatenessMs: 0, labelHorizonMs: '1s' } })).not.toThrow();
    expect(() => parseMonitoringConfig({ maxModels: 0 })).toThrow(/maxModels/);
  });
});
