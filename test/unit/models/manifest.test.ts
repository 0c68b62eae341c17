import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest } from '../../../shared/models/manifest.js';
import { manifestFixture } from './manifest-fixture.js';

const files = { 'model.json': { sha256: 'a'.repeat(64), bytes: 10 } };

describe('parseManifest', () => {
  it('accepts a manifest and its JSON text, NaN metrics surviving as NaN', () => {
    const manifest = { ...manifestFixture('churn', '3'), files };
    const parsed = parseManifest(JSON.stringify(manifest));
    expect(parsed.metrics.test.f1_macro).toBeNaN();
    expect({ ...parsed, metrics: null }).toEqual({ ...manifest, metrics: null });
  });

  it('lists every problem with its path', () => {
    const bad = { ...manifestFixture('churn', '0'), files: { 'model.json': { sha256: 'nope', bytes: -1 } }, task: 'regression' };
    let message = '';
    try {
      parseManifest(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(ManifestError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/version: a version is a positive integer/);
    expect(message).toMatch(/task:/);
    expect(message).toMatch(/files\.model\.json\.sha256: a sha256 is 64 lowercase hex digits/);
    expect(message).toMatch(/files\.model\.json\.bytes:/);
  });

  it('refuses a feature spec whose width does not match its columns', () => {
    const manifest = manifestFixture('churn', '1');
    expect(() => parseManifest({ ...manifest, files, featureSpec: { ...manifest.featureSpec, width: 4 } })).toThrow(/width is 4 but its columns encode 3/);
  });

  it('says when the text is not JSON', () => {
    expect(() => parseManifest('{')).toThrow(/manifest is not JSON/);
  });
});
