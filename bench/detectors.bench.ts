// Concept-drift detectors: updates per second in TypeScript against River 0.26.1 measured in
// the same run on the same streams (River's per-update cost through its Python API).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADWIN, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, PageHinkley } from '../shared/stats/detectors/index.js';
import type { DriftDetector } from '../shared/stats/detectors/index.js';
import { MersenneTwister } from '../shared/stats/random/mersenne-twister.js';
import type { BenchModule } from './lib.js';
import { formatRate, opsPerSecond, printTable } from './lib.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STREAM_LENGTH = 20000;

/** A shift in the middle of each stream, so detections (and their resets) are part of the cost. */
function makeStreams(): { continuous: number[]; binary: number[] } {
  const rng = new MersenneTwister(2024);
  const continuous: number[] = [];
  const binary: number[] = [];
  for (let i = 0; i < STREAM_LENGTH; i++) {
    const u1 = 1 - rng.random();
    const u2 = rng.random();
    const gaussian = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    continuous.push(gaussian + (i >= STREAM_LENGTH / 2 ? 1 : 0));
    binary.push(rng.random() < (i >= STREAM_LENGTH / 2 ? 0.4 : 0.2) ? 1 : 0);
  }
  return { continuous, binary };
}

const detectors: [string, () => DriftDetector, 'continuous' | 'binary'][] = [
  ['ADWIN', () => new ADWIN(), 'continuous'],
  ['PageHinkley', () => new PageHinkley(), 'continuous'],
  ['KSWIN', () => new KSWIN({ seed: 1 }), 'continuous'],
  ['DDM', () => new DDM(), 'binary'],
  ['EDDM', () => new EDDM(), 'binary'],
  ['HDDM_A', () => new HDDM_A(), 'binary'],
  ['HDDM_W', () => new HDDM_W(), 'binary'],
];

function pythonExecutable(): string | undefined {
  const python = join(root, 'scripts/reference/.venv/bin/python');
  if (!existsSync(python)) {
    const setup = spawnSync('bash', [join(root, 'scripts/reference/setup.sh')], { stdio: 'inherit' });
    if (setup.status !== 0) return undefined;
  }
  return existsSync(python) ? python : undefined;
}

function riverRates(streams: { continuous: number[]; binary: number[] }): Record<string, number> {
  const python = pythonExecutable();
  if (!python) {
    console.log('River baseline unavailable: scripts/reference/.venv could not be created');
    return {};
  }
  const run = spawnSync(python, [join(root, 'bench/python/river_detectors.py'), '1.0'], {
    input: JSON.stringify(streams),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (run.status !== 0) {
    console.log(`River baseline failed: ${run.stderr}`);
    return {};
  }
  return JSON.parse(run.stdout) as Record<string, number>;
}

export default {
  title: 'Concept-drift detectors: updates/s, TypeScript vs River 0.26.1',
  async run() {
    const streams = makeStreams();
    const river = riverRates(streams);
    const rows = detectors.map(([name, make, kind]) => {
      const data = streams[kind];
      const detector = make();
      const ts = opsPerSecond(() => {
        for (let i = 0; i < data.length; i++) detector.update(data[i]!);
      }, data.length);
      const baseline = river[name];
      return {
        detector: name,
        typescript: formatRate(ts),
        river: baseline ? formatRate(baseline) : 'n/a',
        'TS/River': baseline ? `${(ts / baseline).toFixed(1)}x` : 'n/a',
      };
    });
    printTable('updates per second (same streams, same run)', rows);
  },
} satisfies BenchModule;
