// The one place that imports TensorFlow.js. Everything else in shared/learning gets the
// runtime from loadTf() and its types from here, so the SDK's main entry (which never
// reaches this file) stays free of tfjs, and the backend is chosen once per process.
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';

export type Tf = typeof import('@tensorflow/tfjs');
export type { LayersModel, Tensor, Tensor1D, Tensor2D, io } from '@tensorflow/tfjs';

export type TfBackend = 'tfjs-node' | 'wasm' | 'cpu';

export interface TfRuntime {
  tf: Tf;
  backend: TfBackend;
}

export interface LoadTfOptions {
  /** Forces a backend; defaults to DW_TF_BACKEND, else the fastest that loads. */
  backend?: TfBackend;
  logger?: Logger;
}

const BACKENDS: readonly TfBackend[] = ['tfjs-node', 'wasm', 'cpu'];

let loading: Promise<TfRuntime> | null = null;

/**
 * TensorFlow.js with the best backend this machine can run: tfjs-node (native, an optional
 * dependency), else wasm (binaries ship in its npm package, so it works offline), else
 * cpu. Memoized: tfjs holds one global engine per process, so a second backend choice
 * would silently change everyone's.
 */
export function loadTf(options: LoadTfOptions = {}): Promise<TfRuntime> {
  if (loading === null) {
    loading = pickBackend(options).catch((error: unknown) => {
      loading = null;
      throw error;
    });
  }
  return loading;
}

async function pickBackend(options: LoadTfOptions): Promise<TfRuntime> {
  const logger = options.logger ?? silentLogger();
  const forced = options.backend ?? parseBackend(process.env.DW_TF_BACKEND);
  const candidates = forced ? [forced] : BACKENDS;
  const failures: string[] = [];
  for (const backend of candidates) {
    try {
      const tf = await activate(backend);
      logger.info({ backend, tried: failures }, 'tensorflow.js backend selected');
      return { tf, backend };
    } catch (error) {
      failures.push(`${backend}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (forced) throw new Error(`tensorflow.js backend ${forced} (forced by ${options.backend ? 'option' : 'DW_TF_BACKEND'}) cannot load: ${failures.join('; ')}`);
  throw new Error(`no tensorflow.js backend loads: ${failures.join('; ')}`);
}

function parseBackend(value: string | undefined): TfBackend | undefined {
  if (value === undefined || value === '') return undefined;
  if ((BACKENDS as readonly string[]).includes(value)) return value as TfBackend;
  throw new Error(`DW_TF_BACKEND must be one of ${BACKENDS.join(', ')}, got ${JSON.stringify(value)}`);
}

async function activate(backend: TfBackend): Promise<Tf> {
  if (backend === 'tfjs-node') {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const nodeBinding = '@tensorflow/tfjs-node';
    const tfNode = (await import(nodeBinding)) as Tf;
    await tfNode.setBackend('tensorflow');
    await tfNode.ready();
    return tfNode;
  }
  const tf = await import('@tensorflow/tfjs');
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Point at the package's own dist directory so the binaries load from disk, never a CDN.
    const distDir = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/\\]+$/, '');
    wasm.setWasmPaths(distDir);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
  await tf.ready();
  return tf;
}

/** Exposes the chosen backend as driftwatch_tf_backend{backend} = 1 on `registry`. */
export function registerTfBackendGauge(registry: Registry, backend: string): Gauge<'backend'> {
  const gauge = new Gauge({
    name: 'driftwatch_tf_backend',
    help: 'TensorFlow.js backend this process trains and predicts with (1 = in use).',
    labelNames: ['backend'] as const,
    registers: [registry],
  });
  gauge.set({ backend }, 1);
  return gauge;
}
