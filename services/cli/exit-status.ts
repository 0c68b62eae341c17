// An exit code other than 0/1 chosen by a command, with an optional one-line reason: `service`
// passes its child's code through (2 for its settings, 0 after a clean SIGTERM, …).
export class ExitStatus extends Error {
  override readonly name = 'ExitStatus';
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}
