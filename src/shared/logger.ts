import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * The one logger of every process: JSON lines, secrets redacted. Services log to stdout; the CLI
 * passes stderr, where logs stay apart from the results it prints.
 */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: { paths: ['password', '*.password', 'headers.authorization'], censor: '***' },
  };
  return destination ? pino(options, destination) : pino(options);
}
