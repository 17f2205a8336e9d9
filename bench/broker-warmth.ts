import type { ServerCpu } from './machine.ts';

/**
 * CPU seconds a broker has used since it started below which its JIT compiler is still at work
 * on the write path, so that write figures read low. Measured (docs/benchmarks.md): single POSTs
 * cost the broker 324, 93, 59 and 44 µs each in four runs begun at about 14, 33, 48 and 61 s.
 */
export const WARM_BROKER_CPU_S = 60;

/** CPU seconds the broker processes have used since they started, if any was found. */
export function brokerCpuSeconds(used: ServerCpu): number | undefined {
  const pids = used.kafka;
  if (pids === undefined || pids.size === 0) return undefined;
  let ms = 0;
  for (const v of pids.values()) ms += v;
  return ms / 1000;
}

/** What to tell of a broker about to serve measured writes, when it is still cold. */
export function coldBrokerWarning(cpuSeconds: number | undefined): string | null {
  if (cpuSeconds === undefined || cpuSeconds >= WARM_BROKER_CPU_S) return null;
  return `kafka: the broker has used ${Math.floor(cpuSeconds)} s of CPU since it started (under ${WARM_BROKER_CPU_S}): its JIT is still compiling, so this run's write figures read low; run again for steady ones (docs/benchmarks.md)`;
}
