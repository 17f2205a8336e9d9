import { performance } from 'node:perf_hooks';
import { loadAverage, ownCpuMs, type ServerPorts, serverCpu, serverCpuBetween } from './machine.ts';
import type { Phase } from './options.ts';
import type { Load } from './result.ts';

/**
 * What each measurement cost the machine: the load average around it and the CPU each process
 * used during it (the bench's services, the bench itself, the broker and PostgreSQL).
 */
export interface Ledger {
  readonly loads: Readonly<Record<string, Load>>;
  readonly cpu: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** The work each measurement did (albums, requests, rows…), which its CPU figures cover. */
  readonly units: Readonly<Record<string, number>>;
  /** Runs one measurement, books its cost and reports it in one line. */
  measure<T extends { readonly units: number }>(
    phase: Phase,
    work: () => Promise<T>,
    describe: (value: T) => string,
  ): Promise<T>;
  /** Books CPU a measurement counted itself (a process it started and stopped). */
  addCpu(phase: Phase, process: string, ms: number): void;
}

export function createLedger(o: {
  readonly servers: ServerPorts;
  /** CPU milliseconds so far of the running services, by name. */
  readonly servicesCpu: () => Record<string, number>;
  readonly say: (line: string) => void;
}): Ledger {
  const loads: Record<string, Load> = {};
  const cpu: Record<string, Record<string, number>> = {};
  const units: Record<string, number> = {};
  const sample = () => ({
    own: { ...o.servicesCpu(), bench: ownCpuMs() } as Record<string, number>,
    servers: serverCpu(o.servers),
  });
  return {
    loads,
    cpu,
    units,
    async measure(phase, work, describe) {
      const before = loadAverage();
      const cpuBefore = sample();
      const started = performance.now();
      const value = await work();
      const cpuAfter = sample();
      const after = loadAverage();
      loads[phase] = { before, after };
      units[phase] = value.units;
      const own = Object.entries(cpuAfter.own).map(
        ([name, ms]) => [name, ms - (cpuBefore.own[name] ?? 0)] as const,
      );
      const servers = Object.entries(serverCpuBetween(cpuBefore.servers, cpuAfter.servers));
      cpu[phase] = Object.fromEntries(
        [...own, ...servers].map(([name, ms]) => [name, Math.round(ms)]),
      );
      o.say(
        `${phase}: ${describe(value)} (${((performance.now() - started) / 1000).toFixed(1)} s, load ${before} → ${after}, CPU ms ${JSON.stringify(cpu[phase])})`,
      );
      return value;
    },
    addCpu(phase, process, ms) {
      cpu[phase] = { ...cpu[phase], [process]: Math.round(ms) };
    },
  };
}
