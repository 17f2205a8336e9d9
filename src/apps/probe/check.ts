import { isIP } from 'node:net';
import type { Config } from '../../shared/config.ts';

/** What a check found: healthy or not, and one line saying why. */
export interface CheckResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** One health check of a service of this host, bounded by `signal`. */
export type Check = (config: Config, signal: AbortSignal) => Promise<CheckResult>;

/** Where to reach a server that listens on `host`: a wildcard address is reached on loopback. */
export function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}
