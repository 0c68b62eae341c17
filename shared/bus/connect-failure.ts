// Why a Kafka connection attempt failed. kafkajs retries a refused or broken connection
// (ECONNREFUSED, a TLS handshake error, a timeout) inside connect() and only logs each
// failure; connect() rejects after all its retries, long after the bus's deadline. So the
// bus listens to kafkajs's error log and keeps the latest connection failure, and a deadline
// error says why ("unable to verify the first certificate") instead of only "unreachable".
import { logLevel } from 'kafkajs';
import type { logCreator, LogEntry } from 'kafkajs';

/** The latest connection failures kafkajs reported, numbered so an attempt sees only its own. */
export class ConnectFailures {
  private sequence = 0;
  private connection: { at: number; message: string } | undefined;
  private other: { at: number; message: string } | undefined;

  /** A marker: failures recorded after it belong to the attempt that took it. */
  mark(): number {
    return this.sequence;
  }

  record(entry: LogEntry): void {
    if (entry.level !== logLevel.ERROR) return;
    const log = entry.log as LogEntry['log'] & { error?: unknown };
    const message = typeof log.error === 'string' && log.error !== '' ? log.error : log.message;
    if (typeof message !== 'string' || message === '') return;
    this.sequence += 1;
    const failure = { at: this.sequence, message };
    // Connection's own entries hold the socket/TLS/SASL error; the pool's repeat it with a preamble.
    if (entry.namespace === 'Connection') this.connection = failure;
    else this.other = failure;
  }

  /** The most telling failure since `mark`, or undefined when none was reported. */
  since(mark: number): string | undefined {
    if (this.connection && this.connection.at > mark) return this.connection.message;
    if (this.other && this.other.at > mark) return this.other.message;
    return undefined;
  }
}

/**
 * Wraps a logCreator so every entry also reaches `failures`. `forwardLevel` is the level the
 * wrapped creator wants (what the service's logger prints); kafkajs itself must run at ERROR
 * at least, or it would not report the failures to record.
 */
export function recordingLogCreator(inner: logCreator, failures: ConnectFailures, forwardLevel: logLevel): logCreator {
  return (level) => {
    const log = inner(level);
    return (entry) => {
      failures.record(entry);
      if (entry.level <= forwardLevel) log(entry);
    };
  };
}

/** The cause a deadline error carries when kafkajs only reported a message, not an Error. */
export class KafkaConnectionError extends Error {
  override readonly name = 'KafkaConnectionError';
}
