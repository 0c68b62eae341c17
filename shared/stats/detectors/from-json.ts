import { ADWIN } from './adwin.js';
import { DDM } from './ddm.js';
import type { DetectorState, DriftDetector } from './detector.js';
import { EDDM } from './eddm.js';
import { HDDM_A } from './hddm-a.js';
import { HDDM_W } from './hddm-w.js';
import { KSWIN } from './kswin.js';
import { PageHinkley } from './page-hinkley.js';

/** Restores any detector from its `toJSON()` state, dispatching on `kind`. */
export function detectorFromJSON(state: DetectorState): DriftDetector {
  switch (state.kind) {
    case 'ADWIN':
      return ADWIN.fromJSON(state);
    case 'DDM':
      return DDM.fromJSON(state);
    case 'EDDM':
      return EDDM.fromJSON(state);
    case 'HDDM_A':
      return HDDM_A.fromJSON(state);
    case 'HDDM_W':
      return HDDM_W.fromJSON(state);
    case 'PageHinkley':
      return PageHinkley.fromJSON(state);
    case 'KSWIN':
      return KSWIN.fromJSON(state);
    default:
      throw new TypeError(`unknown detector kind ${String(state.kind)}`);
  }
}
