// ModelStore over a directory: <root>/<model>/<version>/{manifest.json, files...}. A put
// writes into <model>/.tmp-<version>-<random>/, fsyncs every file and the directory,
// renames it to <version> and fsyncs the model directory. rename(2) onto an existing,
// non-empty directory fails, so two writers of one version cannot both win and a version
// is never replaced. A crash leaves only a .tmp-* directory, which listings skip and the
// next put removes once it is old enough not to belong to a live writer.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseManifest, type ModelManifest } from './manifest.js';
import { checkFilePath, checkModelName, checkVersion, IntegrityError, ModelNotFoundError, VersionExistsError, type ModelStore } from './model-store.js';

const MANIFEST = 'manifest.json';
const TMP_PREFIX = '.tmp-';
/** A temp directory older than this is a crashed writer's, not a live one's. */
export const STALE_TMP_MS = 60_000;

export class LocalModelStore implements ModelStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(manifest: Omit<ModelManifest, 'files'>, files: Map<string, Uint8Array>): Promise<ModelManifest> {
    const { model, version } = manifest;
    checkModelName(model);
    checkVersion(version);
    const entries: ModelManifest['files'] = {};
    for (const [path, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      checkFilePath(path);
      entries[path] = { sha256: sha256(bytes), bytes: bytes.byteLength };
    }
    // Validate before touching the disk: a stored manifest must always parse.
    const full = parseManifest(JSON.parse(JSON.stringify({ ...manifest, files: entries })));
    const modelDir = this.modelDir(model);
    await mkdir(modelDir, { recursive: true });
    await removeStaleTemps(modelDir);
    const target = join(modelDir, version);
    if (await exists(target)) throw new VersionExistsError(model, version);
    const tmp = join(modelDir, `${TMP_PREFIX}${version}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(tmp);
      const dirs = new Set<string>([tmp]);
      for (const [path, bytes] of files) {
        const file = join(tmp, ...path.split('/'));
        await mkdir(dirname(file), { recursive: true });
        for (let d = dirname(file); d.startsWith(tmp) && d !== tmp; d = dirname(d)) dirs.add(d);
        await writeSynced(file, bytes);
      }
      await writeSynced(join(tmp, MANIFEST), new TextEncoder().encode(JSON.stringify(full, null, 2)));
      // Deepest first, so each directory's entry is durable before its parent's.
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) await fsyncDir(d);
      try {
        await rename(tmp, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new VersionExistsError(model, version);
        throw error;
      }
      await fsyncDir(modelDir);
      return full;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async manifest(model: string, version: string): Promise<ModelManifest> {
    checkModelName(model);
    checkVersion(version);
    let text: string;
    try {
      text = await readFile(join(this.modelDir(model), version, MANIFEST), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ModelNotFoundError(model, version);
      throw error;
    }
    return parseManifest(text);
  }

  async readFile(model: string, version: string, path: string): Promise<Uint8Array> {
    checkFilePath(path);
    const manifest = await this.manifest(model, version);
    const entry = manifest.files[path];
    if (!entry) throw new ModelNotFoundError(model, version, `no file ${path} in the manifest`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(join(this.modelDir(model), version, ...path.split('/'))));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IntegrityError(model, version, path, entry.sha256, 'missing file');
      throw error;
    }
    const actual = sha256(bytes);
    if (actual !== entry.sha256) throw new IntegrityError(model, version, path, entry.sha256, actual);
    return bytes;
  }

  async versions(model: string): Promise<string[]> {
    checkModelName(model);
    const names = await listDir(this.modelDir(model));
    return names.filter((n) => /^[1-9]\d*$/.test(n)).sort((a, b) => Number(a) - Number(b));
  }

  async models(): Promise<string[]> {
    const names = await listDir(this.root);
    const out: string[] = [];
    for (const name of names) {
      if (name.startsWith('.') || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name)) continue;
      if ((await this.versions(name)).length > 0) out.push(name);
    }
    return out.sort();
  }

  async nextVersion(model: string): Promise<string> {
    const versions = await this.versions(model);
    const last = versions[versions.length - 1];
    return String(last === undefined ? 1 : Number(last) + 1);
  }

  uri(model: string, version: string): string {
    checkModelName(model);
    checkVersion(version);
    return pathToFileURL(join(this.modelDir(model), version)).href;
  }

  private modelDir(model: string): string {
    checkModelName(model);
    return join(this.root, model);
  }
}

/** LocalModelStore at DW_MODEL_STORE, default ./.driftwatch/models under the working directory. */
export function modelStoreFromEnv(env: NodeJS.ProcessEnv = process.env): LocalModelStore {
  const dir = env.DW_MODEL_STORE && env.DW_MODEL_STORE.trim() !== '' ? env.DW_MODEL_STORE : join('.driftwatch', 'models');
  return new LocalModelStore(resolve(process.cwd(), dir));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Directory entries, or none when the directory does not exist. */
async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function removeStaleTemps(modelDir: string): Promise<void> {
  const now = Date.now();
  for (const name of await listDir(modelDir)) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const path = join(modelDir, name);
    try {
      if (now - (await stat(path)).mtimeMs > STALE_TMP_MS) await rm(path, { recursive: true, force: true });
    } catch {
      // Another writer removed or renamed it first: nothing left to clean.
    }
  }
}
