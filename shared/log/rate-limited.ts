// Per-model log lines (a new model, a model on inferred defaults, a refused model) are one
// line per model: 50,000 model names made 50,000 lines per service (issue 9). A
// RateLimitedLog lets at most `perWindow` lines of each message through per window (default
// 20 a minute); the rest are counted and summarised in one line when the window ends.
import type { Logger } from 'pino';

export interface RateLimitedLogOptions {
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
  level: 'info' | 'warn';
  timer: NodeJS.Timeout | undefined;
}

export class RateLimitedLog {
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Logger,
    options: RateLimitedLogOptions = {},
  ) {
    this.perWindow = options.perWindow ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  info(fields: Record<string, unknown>, message: string): void {
    this.log('info', fields, message);
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.log('warn', fields, message);
  }

  /** Writes the pending summaries now (at shutdown, or from tests). */
  flush(): void {
    for (const message of [...this.windows.keys()]) this.summarise(message);
  }

  private log(level: 'info' | 'warn', fields: Record<string, unknown>, message: string): void {
    const now = this.now();
    let window = this.windows.get(message);
    if (window !== undefined && now - window.start >= this.windowMs) {
      this.summarise(message);
      window = undefined;
    }
    if (window === undefined) {
      window = { start: now, logged: 0, suppressed: 0, level, timer: undefined };
      this.windows.set(message, window);
    }
    if (window.logged < this.perWindow) {
      window.logged += 1;
      this.logger[level](fields, message);
      return;
    }
    window.suppressed += 1;
    if (window.timer === undefined) {
      // One summary line when the window ends, even if no further line comes.
      window.timer = setTimeout(() => this.summarise(message), Math.max(0, window.start + this.windowMs - now));
      window.timer.unref();
    }
  }

  private summarise(message: string): void {
    const window = this.windows.get(message);
    if (window === undefined) return;
    this.windows.delete(message);
    if (window.timer !== undefined) clearTimeout(window.timer);
    if (window.suppressed > 0) {
      this.logger[window.level](
        { suppressed: window.suppressed, logged: window.logged, windowMs: this.windowMs },
        `${message} (${window.suppressed} more lines like this suppressed in the last ${Math.round(this.windowMs / 1000)} s)`,
      );
    }
  }
}
