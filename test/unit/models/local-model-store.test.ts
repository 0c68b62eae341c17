import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalModelStore, modelStoreFromEnv, sha256 } from '../../../shared/models/local-model-store.js';
import { IntegrityError, ModelNotFoundError, VersionExistsError } from '../../../shared/models/model-store.js';
import { manifestFixture } from './manifest-fixture.js';

let dir: string;
let store: LocalModelStore;

const bytes = (s: string) => new TextEncoder().encode(s);
const files = () =>
  new Map([
    ['model.json', bytes('{"modelTopology":{}}')],
    ['weights.bin', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])],
    ['variants/uint8/weights.bin', new Uint8Array([9, 9])],
  ]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dw-store-'));
  store = new LocalModelStore(dir);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalModelStore', () => {
  it('stores a version with the sha256 and size of every file, and reads it back', async () => {
    const stored = await store.put(manifestFixture('churn', '1'), files());
    expect(stored.files['weights.bin']).toEqual({ sha256: sha256(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), bytes: 8 });
    expect(Object.keys(stored.files).sort()).toEqual(['model.json', 'variants/uint8/weights.bin', 'weights.bin']);
    expect(await store.manifest('churn', '1')).toEqual(stored);
    expect([...(await store.readFile('churn', '1', 'variants/uint8/weights.bin'))]).toEqual([9, 9]);
    expect(await store.versions('churn')).toEqual(['1']);
    expect(await store.models()).toEqual(['churn']);
    expect(store.uri('churn', '1')).toBe(`file://${join(dir, 'churn', '1')}`);
  });

  it('counts versions numerically', async () => {
    expect(await store.nextVersion('churn')).toBe('1');
    for (const v of ['1', '2', '10', '9']) await store.put(manifestFixture('churn', v), files());
    expect(await store.versions('churn')).toEqual(['1', '2', '9', '10']);
    expect(await store.nextVersion('churn')).toBe('11');
  });

  it('never overwrites a version', async () => {
    await store.put(manifestFixture('churn', '1'), files());
    await expect(store.put(manifestFixture('churn', '1', { backend: 'wasm' }), files())).rejects.toBeInstanceOf(VersionExistsError);
    expect((await store.manifest('churn', '1')).backend).toBe('cpu');
  });

  it('lets exactly one of concurrent writers of a version win', async () => {
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.put(manifestFixture('churn', '1', { createdAt: i }), files())));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(VersionExistsError);
    expect((await store.manifest('churn', '1')).createdAt).toBe((won[0] as PromiseFulfilledResult<{ createdAt: number }>).value.createdAt);
    expect((await readdir(join(dir, 'churn'))).sort()).toEqual(['1']);
  });

  it("hides a crashed writer's temp directory and removes it once stale", async () => {
    await store.put(manifestFixture('churn', '1'), files());
    const crashed = join(dir, 'churn', '.tmp-2-deadbeef');
    const live = join(dir, 'churn', '.tmp-3-cafe');
    await mkdir(crashed);
    await writeFile(join(crashed, 'weights.bin'), 'half');
    await mkdir(live);
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(crashed, old, old);
    expect(await store.versions('churn')).toEqual(['1']);
    expect(await store.nextVersion('churn')).toBe('2');
    await store.put(manifestFixture('churn', '2'), files());
    // The stale one is gone; a fresh one may be a live writer's and stays.
    expect((await readdir(join(dir, 'churn'))).sort()).toEqual(['.tmp-3-cafe', '1', '2']);
  });

  it('refuses a corrupted file', async () => {
    await store.put(manifestFixture('churn', '1'), files());
    const path = join(dir, 'churn', '1', 'weights.bin');
    const data = await readFile(path);
    data[3] = (data[3] as number) ^ 0xff;
    await writeFile(path, data);
    const error = await store.readFile('churn', '1', 'weights.bin').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({ model: 'churn', version: '1', path: 'weights.bin', expected: sha256(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])) });
    expect((error as IntegrityError).actual).toBe(sha256(data));
    await rm(path);
    await expect(store.readFile('churn', '1', 'weights.bin')).rejects.toMatchObject({ name: 'IntegrityError', actual: 'missing file' });
  });

  it('reports unknown models, versions and files', async () => {
    await expect(store.manifest('nope', '1')).rejects.toBeInstanceOf(ModelNotFoundError);
    await store.put(manifestFixture('churn', '1'), files());
    await expect(store.manifest('churn', '2')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(store.readFile('churn', '1', 'other.bin')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect(await store.versions('nope')).toEqual([]);
  });

  it('rejects names and paths that could leave the store', async () => {
    for (const name of ['../evil', '.hidden', 'a/b', '', 'x'.repeat(129)]) {
      await expect(store.put(manifestFixture(name, '1'), files())).rejects.toThrow(RangeError);
    }
    await expect(store.put(manifestFixture('churn', '1'), new Map([['../x', bytes('x')]]))).rejects.toThrow(/invalid model file path/);
    await expect(store.put(manifestFixture('churn', '1'), new Map([['manifest.json', bytes('x')]]))).rejects.toThrow(/invalid model file path/);
    await expect(store.readFile('churn', '1', 'a/../../b')).rejects.toThrow(/invalid model file path/);
    expect(() => store.uri('churn', '1/../2')).toThrow(/invalid version/);
  });

  it('opens DW_MODEL_STORE, defaulting under the working directory', () => {
    expect(modelStoreFromEnv({ DW_MODEL_STORE: dir }).root).toBe(dir);
    expect(modelStoreFromEnv({}).root).toBe(resolve(process.cwd(), '.driftwatch', 'models'));
  });
});
