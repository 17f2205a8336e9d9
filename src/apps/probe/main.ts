// `node src/apps/probe/main.ts <rest|grpc|consumer>`: one health check of the service running
// beside it (same container, same environment), for Docker Compose health checks and Kubernetes
// exec probes. Exit 0 when healthy, 1 when not, 2 on bad usage; one line says why.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../shared/config.ts';
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
const NAMES = Object.keys(CHECKS) as CheckName[];

function usage(line: string): never {
  process.stderr.write(`probe: ${line}\n`);
  process.exit(2);
}

async function main(): Promise<never> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'timeout-ms': { type: 'string', default: '5000' } },
  });
  const name = NAMES.find((n) => n === positionals[0]);
  if (name === undefined || positionals.length !== 1)
    usage(`usage: probe <${NAMES.join('|')}> [--timeout-ms <ms>]`);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
    usage(`--timeout-ms must be a positive integer (got ${values['timeout-ms']})`);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) usage(err.message);
    throw err;
  }
  try {
    const check = await CHECKS[name]();
    const result = await check(config, AbortSignal.timeout(timeoutMs));
    process.stdout.write(`${name}: ${result.ok ? 'healthy' : 'unhealthy'}: ${result.detail}\n`);
    process.exit(result.ok ? 0 : 1);
  } catch (err) {
    // fetch hides why it failed (refused, unknown host) in its cause.
    const { message, cause } = err as Error;
    const why = cause instanceof Error ? `${message}: ${cause.message}` : message || String(err);
    process.stdout.write(`${name}: unhealthy: ${why}\n`);
    process.exit(1);
  }
}

if (import.meta.main) await main();
