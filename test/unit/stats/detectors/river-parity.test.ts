import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ADWIN,
  DDM,
  EDDM,
  HDDM_A,
  HDDM_W,
  KSWIN,
  PageHinkley,
  detectorFromJSON,
} from '../../../../shared/stats/detectors/index.js';
import type { DetectorState, DriftDetector } from '../../../../shared/stats/detectors/index.js';

interface Case {
  detector: string;
  options: Record<string, unknown>;
  stream: string;
  drifts: number[];
  warnings?: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/detectors/river_detectors.json', import.meta.url), 'utf8'),
) as { river: string; streams: Record<string, number[]>; cases: Case[] };

const factories: Record<string, (o: Record<string, unknown>) => DriftDetector> = {
  ADWIN: (o) => new ADWIN(o),
  DDM: (o) => new DDM(o),
  EDDM: (o) => new EDDM(o),
  HDDM_A: (o) => new HDDM_A(o),
  HDDM_W: (o) => new HDDM_W(o),
  PageHinkley: (o) => new PageHinkley(o),
  KSWIN: (o) => new KSWIN(o),
};

function hasWarning(d: DriftDetector): d is DriftDetector & { warningDetected: boolean } {
  return 'warningDetected' in d;
}

/** Feeds the stream, optionally round-tripping the state through JSON text after index k. */
function run(c: Case, restoreAfter?: number): { drifts: number[]; warnings: number[] } {
  const stream = fixture.streams[c.stream]!;
  let detector = factories[c.detector]!(c.options);
  const drifts: number[] = [];
  const warnings: number[] = [];
  stream.forEach((x, i) => {
    detector.update(x);
    if (detector.driftDetected) drifts.push(i);
    if (hasWarning(detector) && detector.warningDetected) warnings.push(i);
    if (i === restoreAfter) {
      detector = detectorFromJSON(JSON.parse(JSON.stringify(detector)) as DetectorState);
    }
  });
  return { drifts, warnings };
}

const label = (c: Case) => `${c.detector} ${JSON.stringify(c.options)} on ${c.stream}`;

describe(`concept-drift detectors match River ${fixture.river}`, () => {
  it('covers every detector on River streams and extra streams', () => {
    const kinds = new Set(fixture.cases.map((c) => c.detector));
    expect([...kinds].sort()).toEqual(Object.keys(factories).sort());
    expect(fixture.cases.filter((c) => c.stream.startsWith('river_')).length).toBeGreaterThanOrEqual(9);
  });

  for (const c of fixture.cases) {
    it(`${label(c)}: same drift and warning indices`, () => {
      const got = run(c);
      expect(got.drifts).toEqual(c.drifts);
      if (c.warnings) expect(got.warnings).toEqual(c.warnings);
    });
  }

  for (const c of fixture.cases) {
    it(`${label(c)}: serialize, restore midway and at a detection, continue identically`, () => {
      const length = fixture.streams[c.stream]!.length;
      const points = [Math.floor(length / 2), Math.floor(length / 3)];
      // Restoring right at a detection exercises the reset-on-next-update path.
      if (c.drifts[0] !== undefined) points.push(c.drifts[0], c.drifts[0] - 1);
      for (const k of points) {
        const got = run(c, k);
        expect(got.drifts, `restored after ${k}`).toEqual(c.drifts);
        if (c.warnings) expect(got.warnings, `restored after ${k}`).toEqual(c.warnings);
      }
    });
  }
});
