// Pure statistics, no I/O: window state, performance metrics, drift tests, concept-drift detectors.
export * from './window/index.js';
export * from './metrics/index.js';
export * from './drift/index.js';
export * from './detectors/index.js';
export { ksTwoSample } from './distributions/ks-two-sample.js';
export { MersenneTwister } from './random/mersenne-twister.js';
