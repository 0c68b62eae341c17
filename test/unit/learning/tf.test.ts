import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { loadTf, registerTfBackendGauge } from '../../../shared/learning/tf.js';

describe('loadTf', () => {
  it('picks wasm here (tfjs-node is not installed) and memoizes the runtime', async () => {
    const first = await loadTf();
    expect(first.backend).toBe(process.env.DW_TF_BACKEND ?? 'wasm');
    expect(first.tf.getBackend()).toBe(first.backend);
    expect(await loadTf()).toBe(first);
    expect([...first.tf.tensor1d([1, 2, 3]).square().dataSync()]).toEqual([1, 4, 9]);
  });

  it('fails clearly when a forced backend cannot load, and lets a later call retry', async () => {
    vi.resetModules();
    const fresh = (await import('../../../shared/learning/tf.js')) as typeof import('../../../shared/learning/tf.js');
    await expect(fresh.loadTf({ backend: 'tfjs-node' })).rejects.toThrow(/backend tfjs-node \(forced by option\) cannot load: tfjs-node: Cannot find/);
    const saved = process.env.DW_TF_BACKEND;
    process.env.DW_TF_BACKEND = 'gpu';
    try {
      await expect(fresh.loadTf()).rejects.toThrow(/DW_TF_BACKEND must be one of tfjs-node, wasm, cpu, got "gpu"/);
    } finally {
      if (saved === undefined) delete process.env.DW_TF_BACKEND;
      else process.env.DW_TF_BACKEND = saved;
    }
  });

  it('exports the backend as a gauge', async () => {
    const registry = new Registry();
    registerTfBackendGauge(registry, 'wasm');
    expect(await registry.metrics()).toMatch(/driftwatch_tf_backend\{backend="wasm"\} 1/);
  });
});
