import type { Config } from '../../shared/config.ts';
import type { Check } from './check.ts';

/**
 * The checks by the service they look at. Each is loaded only when asked for: a probe runs
 * every few seconds inside the service's memory limit, and the Kafka client alone weighs 60 MB.
 */
export const CHECKS = {
  rest: async (): Promise<Check> => (await import('./rest-alive.ts')).restAlive,
  grpc: async (): Promise<Check> => (await import('./grpc-serving.ts')).grpcServing,
  consumer: async (): Promise<Check> => (await import('./consumer-joined.ts')).consumerJoined,
} as const;
export type CheckName = keyof typeof CHECKS;
export const CHECK_NAMES = Object.keys(CHECKS) as CheckName[];

/** Runs one check within `timeoutMs`: whether healthy, and the one line that says why. */
export async function runCheck(
  name: CheckName,
  config: Config,
  timeoutMs: number,
): Promise<{ ok: boolean; line: string }> {
  try {
    const check = await CHECKS[name]();
    const result = await check(config, AbortSignal.timeout(timeoutMs));
    return {
      ok: result.ok,
      line: `${name}: ${result.ok ? 'healthy' : 'unhealthy'}: ${result.detail}`,
    };
  } catch (err) {
    // fetch hides why it failed (refused, unknown host) in its cause.
    const { message, cause } = err as Error;
    const why = cause instanceof Error ? `${message}: ${cause.message}` : message || String(err);
    return { ok: false, line: `${name}: unhealthy: ${why}` };
  }
}
