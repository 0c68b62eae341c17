// What one kind of sink contributes: its settings' schema, how the environment configures it,
// and how a configured sink is built. The registry of kinds is sink-kinds.ts.
import type { z } from 'zod';
import type { Sink } from './sink.js';

export interface SinkCommon {
  /** Per request; a request without an answer by then failed (retryable). */
  timeoutMs: number;
  /** What the sink remembers between alerts, per alert key (Redis, shared by the instances). */
  memory: SinkMemory;
}

/**
 * A little per-alert-key state of one sink, for a destination that needs to know what it was
 * sent before (Alertmanager: which severity of a key fires). Values expire.
 */
export interface SinkMemory {
  get(alertKey: string): Promise<string | null>;
  set(alertKey: string, value: string, ttlMs: number): Promise<void>;
  delete(alertKey: string): Promise<void>;
}

export interface SinkKind<S extends z.ZodType = z.ZodType> {
  /** The `kind` of a sink entry in the config file, and the sink's name when configured by environment. */
  readonly kind: string;
  /** The entry's own settings (beside kind, name and the filters every sink has). */
  readonly settings: S;
  /** Raw settings from DW_NOTIFY_<KIND>_* (validated by `settings` like a file's), undefined when not set there. */
  fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined;
  create(name: string, settings: z.output<S>, common: SinkCommon): Sink;
}
