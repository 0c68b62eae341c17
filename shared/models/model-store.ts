// The port every reader and writer of model versions goes through. A version is immutable
// once stored, and every file read is checked against the manifest's sha256, so a reader
// gets exactly the bytes the retrain wrote or an error, never a half-written model.
import type { ModelManifest } from './manifest.js';
import { modelNameProblem } from '../model-name.js';

export interface ModelStore {
  /** Stores a new version atomically; computes `files` from the bytes. VersionExistsError if taken. */
  put(manifest: Omit<ModelManifest, 'files'>, files: Map<string, Uint8Array>): Promise<ModelManifest>;
  /** ModelNotFoundError when the model or version is not stored. */
  manifest(model: string, version: string): Promise<ModelManifest>;
  /** The file's bytes after checking its sha256 (IntegrityError on a mismatch). */
  readFile(model: string, version: string, path: string): Promise<Uint8Array>;
  /** Complete versions, oldest first (numeric order). */
  versions(model: string): Promise<string[]>;
  models(): Promise<string[]>;
  /** One past the highest stored version, "1" for a new model. */
  nextVersion(model: string): Promise<string>;
  /** Where the version lives, for model events and logs. */
  uri(model: string, version: string): string;
}

export class ModelNotFoundError extends Error {
  override readonly name = 'ModelNotFoundError';
  constructor(
    readonly model: string,
    readonly version: string | null,
    detail?: string,
  ) {
    super(`model ${model}${version === null ? '' : ` version ${version}`} not found${detail ? `: ${detail}` : ''}`);
  }
}

export class VersionExistsError extends Error {
  override readonly name = 'VersionExistsError';
  constructor(
    readonly model: string,
    readonly version: string,
  ) {
    super(`model ${model} version ${version} already exists; versions are immutable`);
  }
}

export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  constructor(
    readonly model: string,
    readonly version: string,
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`model ${model} version ${version}: ${path} is corrupted (expected ${expected}, found ${actual})`);
  }
}

const VERSION = /^[1-9]\d{0,15}$/;
const PATH_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A model name safe as one directory name: no separators, no dot-dot, no leading dot. */
export function checkModelName(model: string): void {
  const problem = modelNameProblem(model);
  if (problem !== null) throw new RangeError(problem);
}

export function checkVersion(version: string): void {
  if (!VERSION.test(version)) throw new RangeError(`invalid version ${JSON.stringify(version)}: versions are positive integers`);
}

/** A relative file path inside a version: '/'-separated safe segments, never '..'. */
export function checkFilePath(path: string): void {
  const segments = path.split('/');
  if (path === 'manifest.json' || !segments.every((s) => PATH_SEGMENT.test(s) && s !== '..')) {
    throw new RangeError(`invalid model file path ${JSON.stringify(path)}`);
  }
}
