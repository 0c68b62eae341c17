import { describe, expect, it } from 'vitest';
import type { AlertState, Observation, StepRule } from '../../../shared/alerts/state-machine.js';
import { INITIAL_ALERT_STATE, parseAlertState, serializeAlertState, step } from '../../../shared/alerts/state-machine.js';

const below: StepRule = { comparison: 'below', warning: 0.8, critical: 0.7, severity: 'WARNING', for: 1, hysteresis: 0, cooldownMs: 0, minCount: 0 };
const above: StepRule = { comparison: 'above', warning: 0.1, severity: 'WARNING', for: 1, hysteresis: 0, cooldownMs: 0, minCount: 0 };
const verdict: StepRule = { severity: 'WARNING', for: 1, hysteresis: 0, cooldownMs: 0, minCount: 0 };

type Expect = { status: AlertState['status']; transition?: string; severity?: AlertState['severity'] };

/** Runs observations at ends 1, 2, 3, … and returns what each step produced. */
function run(rule: StepRule, observations: (number | Observation)[]): Expect[] {
  let state: AlertState | undefined;
  return observations.map((o, i) => {
    const obs = typeof o === 'number' ? { value: o, count: 100 } : o;
    const r = step(state, obs, rule, (i + 1) * 1000);
    state = r.state;
    const e: Expect = { status: r.state.status, severity: r.state.severity };
    if (r.transition) e.transition = `${r.transition.status}:${r.transition.severity}`;
    return e;
  });
}

const ok: Expect = { status: 'ok', severity: null };
const firingW: Expect = { status: 'firing', severity: 'WARNING' };
const firingC: Expect = { status: 'firing', severity: 'CRITICAL' };

describe('alert state machine', () => {
  it.each<[string, StepRule, (number | Observation)[], Expect[]]>([
    ['stays ok while the value is fine', below, [0.9, 0.85], [ok, ok]],
    ['fires at once with for = 1', below, [0.75], [{ ...firingW, transition: 'FIRING:WARNING' }]],
    ['fires critical past the critical level', below, [0.6], [{ ...firingC, transition: 'FIRING:CRITICAL' }]],
    ['treats the level itself as fine (strict comparison)', below, [0.8, 0.7], [ok, { ...firingW, transition: 'FIRING:WARNING' }]],
    [
      'waits `for` evaluations in pending',
      { ...below, for: 3 },
      [0.75, 0.75, 0.75, 0.75],
      [{ status: 'pending', severity: 'WARNING' }, { status: 'pending', severity: 'WARNING' }, { ...firingW, transition: 'FIRING:WARNING' }, firingW],
    ],
    ['pending falls back to ok when the condition breaks', { ...below, for: 2 }, [0.75, 0.9, 0.75], [{ status: 'pending', severity: 'WARNING' }, ok, { status: 'pending', severity: 'WARNING' }]],
    ['fires with the severity of the evaluation that completes `for`', { ...below, for: 2 }, [0.75, 0.6], [{ status: 'pending', severity: 'WARNING' }, { ...firingC, transition: 'FIRING:CRITICAL' }]],
    [
      'escalates and de-escalates while firing (each a FIRING transition)',
      below,
      [0.75, 0.6, 0.65, 0.75, 0.76],
      [{ ...firingW, transition: 'FIRING:WARNING' }, { ...firingC, transition: 'FIRING:CRITICAL' }, firingC, { ...firingW, transition: 'FIRING:WARNING' }, firingW],
    ],
    ['resolves when the value is back', below, [0.75, 0.85], [{ ...firingW, transition: 'FIRING:WARNING' }, { ...ok, transition: 'RESOLVED:WARNING' }]],
    ['resolves from critical with the critical severity', below, [0.6, 0.9], [{ ...firingC, transition: 'FIRING:CRITICAL' }, { ...ok, transition: 'RESOLVED:CRITICAL' }]],
    [
      'hysteresis keeps firing until warning + hysteresis (below)',
      { ...below, hysteresis: 0.05 },
      [0.75, 0.82, 0.84, 0.86],
      [{ ...firingW, transition: 'FIRING:WARNING' }, firingW, firingW, { ...ok, transition: 'RESOLVED:WARNING' }],
    ],
    [
      'hysteresis keeps critical until critical + hysteresis',
      { ...below, hysteresis: 0.05 },
      [0.6, 0.72, 0.76],
      [{ ...firingC, transition: 'FIRING:CRITICAL' }, firingC, { ...firingW, transition: 'FIRING:WARNING' }],
    ],
    [
      'hysteresis does not make a calm key fire',
      { ...above, hysteresis: 0.05 },
      [0.08, 0.11, 0.07, 0.04],
      [ok, { ...firingW, transition: 'FIRING:WARNING' }, firingW, { ...ok, transition: 'RESOLVED:WARNING' }],
    ],
    [
      'a critical-only rule fires critical and resolves off the critical level',
      { ...above, warning: undefined, critical: 0.5 },
      [0.4, 0.6, 0.45],
      [ok, { ...firingC, transition: 'FIRING:CRITICAL' }, { ...ok, transition: 'RESOLVED:CRITICAL' }],
    ],
    [
      'cooldown holds a new FIRING back after a RESOLVED',
      { ...above, cooldownMs: 2500 },
      [0.2, 0.05, 0.2, 0.2, 0.2],
      // resolved at end 2000; ends 3000 and 4000 are inside 2500 ms of it, 5000 is not.
      [{ ...firingW, transition: 'FIRING:WARNING' }, { ...ok, transition: 'RESOLVED:WARNING' }, { status: 'pending', severity: 'WARNING' }, { status: 'pending', severity: 'WARNING' }, { ...firingW, transition: 'FIRING:WARNING' }],
    ],
    [
      'cooldown does not apply to the first firing',
      { ...above, cooldownMs: 1e9 },
      [0.2],
      [{ ...firingW, transition: 'FIRING:WARNING' }],
    ],
    [
      'minCount skips windows with too few observations, state unchanged',
      { ...below, minCount: 50 },
      [{ value: 0.1, count: 49 }, { value: 0.75, count: 50 }, { value: 0.95, count: 10 }, { value: 0.95, count: 60 }],
      [ok, { ...firingW, transition: 'FIRING:WARNING' }, firingW, { ...ok, transition: 'RESOLVED:WARNING' }],
    ],
    ['a NaN value (empty window) changes nothing', below, [0.75, Number.NaN, 0.9], [{ ...firingW, transition: 'FIRING:WARNING' }, firingW, { ...ok, transition: 'RESOLVED:WARNING' }]],
    [
      'a verdict rule fires on the verdict, whatever the value',
      verdict,
      [{ value: 0.01, verdict: false, count: 10 }, { value: 0.001, verdict: true, count: 10 }, { value: 0.5, verdict: true, count: 10 }, { value: 0.9, verdict: false, count: 10 }],
      [ok, { ...firingW, transition: 'FIRING:WARNING' }, firingW, { ...ok, transition: 'RESOLVED:WARNING' }],
    ],
    ['a verdict rule fires with its configured severity', { ...verdict, severity: 'CRITICAL' }, [{ value: 1, verdict: true, count: 1 }], [{ ...firingC, transition: 'FIRING:CRITICAL' }]],
    ['a verdict rule skips observations without a verdict', verdict, [{ value: 1, verdict: true, count: 1 }, { value: 0, count: 0 }], [{ ...firingW, transition: 'FIRING:WARNING' }, firingW]],
  ])('%s', (_name, rule, observations, expected) => {
    expect(run(rule, observations)).toEqual(expected);
  });

  it('records when the condition started, fired and resolved', () => {
    const rule = { ...below, for: 2 };
    let s = step(undefined, { value: 0.75, count: 1 }, rule, 1000).state;
    expect(s).toMatchObject({ status: 'pending', since: 1000, count: 1, lastFiredAt: null, value: 0.75 });
    s = step(s, { value: 0.74, count: 1 }, rule, 2000).state;
    expect(s).toMatchObject({ status: 'firing', since: 1000, count: 2, lastFiredAt: 2000, value: 0.74 });
    s = step(s, { value: 0.9, count: 1 }, rule, 3000).state;
    expect(s).toMatchObject({ status: 'ok', since: null, count: 0, lastFiredAt: 2000, lastResolvedAt: 3000, value: 0.9 });
  });

  it('does not mutate the state it is given', () => {
    const before = { ...INITIAL_ALERT_STATE };
    const frozen = Object.freeze({ ...before });
    step(frozen, { value: 0.5, count: 1 }, below, 1);
    expect(frozen).toEqual(before);
  });

  it('serializes and parses states, refusing garbage', () => {
    const s = step(undefined, { value: 0.75, count: 1 }, below, 5).state;
    expect(parseAlertState(serializeAlertState(s))).toEqual(s);
    expect(() => parseAlertState('{"status":"weird"}')).toThrow(TypeError);
    expect(() => parseAlertState(JSON.stringify({ ...s, count: -1 }))).toThrow(TypeError);
    expect(() => parseAlertState(JSON.stringify({ ...s, severity: 'LOUD' }))).toThrow(TypeError);
  });
});
