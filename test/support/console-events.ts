// Valid events of the four topics the console reads, at times the test chooses (the console
// keeps only what lies within its history, measured against the wall clock).
import type { AlertInput, IncidentInput, MetricsSnapshotInput, ModelEventInput } from '../../shared/codec/index.js';
import { SAMPLE_EVENTS } from './sample-events.js';

export function snapshotAt(model: string, version: string, horizon: string, end: number, overrides: Partial<MetricsSnapshotInput> = {}): MetricsSnapshotInput {
  return {
    ...SAMPLE_EVENTS.metricsSnapshot,
    model,
    modelVersion: version,
    horizon,
    window: { start: end - 300_000, end, count: 500 },
    metrics: { accuracy: 0.9, 'prediction_share:yes': 0.4, 'prediction_share:no': 0.6, 'reference_share:yes': 0.5, 'reference_share:no': 0.5 },
    time: end + 100,
    ...overrides,
  };
}

export function alertAt(model: string, key: string, id: string, status: 'FIRING' | 'RESOLVED', time: number, overrides: Partial<AlertInput> = {}): AlertInput {
  return {
    ...SAMPLE_EVENTS.alert,
    id,
    key,
    model,
    status,
    window: { start: time - 300_000, end: time, count: 500 },
    time,
    ...overrides,
  };
}

export function modelEventAt(model: string, version: string, status: ModelEventInput['status'], time: number, overrides: Partial<ModelEventInput> = {}): ModelEventInput {
  return {
    ...SAMPLE_EVENTS.model,
    model,
    version,
    status,
    parentVersion: null,
    artifactUri: `file:///models/${model}/${version}`,
    referenceProfile: [],
    variants: [],
    fencingToken: null,
    time,
    ...overrides,
  };
}

export function incidentAt(model: string, id: string, status: IncidentInput['status'], openedAt: number, updatedAt: number, overrides: Partial<IncidentInput> = {}): IncidentInput {
  return { ...SAMPLE_EVENTS.incident, id, model, status, openedAt, updatedAt, ...overrides };
}
