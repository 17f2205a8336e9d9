import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

/** How a service's log is bounded: a new file at `size`, `files` files at most (with the live one). */
export interface LogRotation {
  readonly size: `${number}${'B' | 'K' | 'M' | 'G'}`;
  readonly files: number;
}

/** 10 MB a file, five files: a service's logs never take more than 50 MB of `.data/logs`. */
export const SERVICE_LOG_ROTATION: LogRotation = { size: '10M', files: 5 };

// One stream per file for the life of the supervisor: a restarted service appends to the stream
// its previous run wrote to, so the size counted towards the next rotation stays right.
const open = new Map<string, RotatingFileStream>();

/**
 * The rotating log at `<dir>/<name>.log`: past `size` it becomes `<name>.log.1` (the older ones
 * move up one, the oldest is deleted), as logrotate does, so `tail -F <name>.log` keeps working.
 */
export function serviceLog(
  dir: string,
  name: string,
  rotation = SERVICE_LOG_ROTATION,
): RotatingFileStream {
  const file = join(dir, `${name}.log`);
  let stream = open.get(file);
  if (!stream) {
    stream = createStream(
      // Called with null for the live file and with 1…rotate for the rotated ones.
      (index) => (typeof index === 'number' ? `${name}.log.${index}` : `${name}.log`),
      { path: dir, size: rotation.size, rotate: rotation.files - 1 },
    );
    // A full disk must not take the supervisor down with it: the services keep running.
    stream.on('error', (err) => process.stderr.write(`music: log ${file}: ${err.message}\n`));
    open.set(file, stream);
  }
  return stream;
}

/** Appends what a child writes to `out` and `err` to `log`, which stays open for the next run. */
export function pipeToLog(log: RotatingFileStream, ...outputs: (Readable | null)[]): void {
  for (const output of outputs) output?.pipe(log, { end: false });
}

/** Resolves once everything written to `log` so far is in the file (writes keep their order). */
export function logWritten(log: RotatingFileStream): Promise<void> {
  return new Promise((resolve) => log.write('', () => resolve()));
}

/** Ends every service log, once what was written is in its file (before the supervisor exits). */
export async function closeServiceLogs(): Promise<void> {
  const streams = [...open.values()];
  open.clear();
  await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
}
