// The replay's progress bar: bytes of both input files read so far, with record counts and
// the replay's stage. Drawn only on a terminal; in a pipe or CI log it would be noise.
import cliProgress from 'cli-progress';

export interface Progress {
  bytes(read: number): void;
  update(fields: { stage?: string; predictions?: number; labels?: number }): void;
  stop(): void;
}

const SILENT: Progress = { bytes() {}, update() {}, stop() {} };

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }, totalBytes: number): Progress {
  if (!stream.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {bar} {percentage}% | {predictions} predictions, {labels} labels | {stage}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = { stage: 'reading', predictions: 0, labels: 0 };
  let value = 0;
  bar.start(Math.max(totalBytes, 1), 0, payload);
  return {
    bytes(read) {
      value = Math.min(read, totalBytes);
      bar.update(value, payload);
    },
    update(fields) {
      Object.assign(payload, fields);
      bar.update(value, payload);
    },
    stop() {
      bar.stop();
    },
  };
}
