import { type Logger, pino } from 'pino';

export type { Logger };

/** The one logger of every process: JSON lines on stdout, secrets redacted. */
export function createLogger(name: string, level: string): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['password', '*.password', 'headers.authorization'], censor: '***' },
  });
}
