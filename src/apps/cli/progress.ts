import { Presets, SingleBar } from 'cli-progress';

/** Progress of sending many items; a no-op where nobody watches. */
export interface Progress {
  advance(items: number): void;
  stop(): void;
}

const quiet: Progress = { advance() {}, stop() {} };

/**
 * A progress bar with the rate on `stream`, for `total` items, only when there is more than one
 * item and the stream is a terminal: piped or redirected output stays free of control codes.
 */
export function startProgress(
  total: number,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (total <= 1 || !stream.isTTY) return quiet;
  const bar = new SingleBar(
    {
      stream,
      format: `{bar} {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const started = performance.now();
  let done = 0;
  bar.start(total, 0, { rate: 0 });
  return {
    advance(items) {
      done += items;
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : 0 });
    },
    stop() {
      bar.stop();
    },
  };
}
