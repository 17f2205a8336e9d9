import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Output } from './output.ts';
import type { Progress } from './progress.ts';

/** What every command gets from the composition root (program.ts). */
export interface CliContext {
  /** The services' configuration, read on first use so that --help works without a valid one. */
  config(): Config;
  /** The environment with the endpoint flags laid over it, as config() reads it. */
  env(): NodeJS.ProcessEnv;
  /** Silent unless --verbose, then JSON lines on stderr. */
  log(): Logger;
  readonly out: Output;
  /** A progress bar for sending `total` items, shown only on a terminal. */
  progress(total: number, unit: string): Progress;
}

/** `http://host:port` of a service listening at host:port (IPv6 hosts in brackets). */
export function serviceUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
