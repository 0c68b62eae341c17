// Every reason an event can be refused. The reason travels to the dead-letter topic and
// to the `driftwatch_dlq_total{reason}` counter, so it is a closed, stable set of codes.
export type CodecErrorReason =
  | 'OVERSIZE'
  | 'MISSING_SCHEMA_HEADER'
  | 'UNKNOWN_SCHEMA'
  | 'WRONG_SCHEMA'
  | 'MALFORMED'
  | 'NON_FINITE'
  | 'INVALID';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly reason: CodecErrorReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
  }
}
