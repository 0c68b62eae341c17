// What one kind of sink contributes: its settings' schema, how the environment configures it,
// and how a configured sink is built. The registry of kinds is sink-kinds.ts.
import type { z } from 'zod';
import type { Sink } from './sink.js';

export interface SinkCommon {
  /** Per request; a request without an answer by then failed (retryable). */
  timeoutMs: number;
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
