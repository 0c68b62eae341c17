/**
 * Redis did not become ready before the deadline. Carries the address (host:port list, never
 * credentials) so an operator can tell which endpoint is down without reading a stack trace.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(
    readonly address: string,
    readonly deadlineMs: number,
    options?: { cause?: unknown },
  ) {
    const reason = describeCause(options?.cause);
    super(`Redis at ${address} unavailable: not ready within ${deadlineMs} ms${reason ? ` (${reason})` : ''}`, options);
  }
}

/** A batch the store refuses before touching any state, so a rejected batch is never half applied. */
export class InvalidBatchError extends Error {
  override readonly name = 'InvalidBatchError';
}

// ioredis/socket errors name host:port but never credentials; strip URL userinfo anyway in
// case a future error message echoes a connection string.
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  return cause.message.replace(/\/\/[^@/\s]*@/g, '//');
}
