import os from 'node:os';

/** What the figures were measured on. */
export interface Machine {
  readonly cores: number;
  readonly memory_gb: number;
  readonly cpu_model: string;
  readonly os: string;
  readonly node: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism(),
    memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** The 1-minute load average, as `uptime` shows it: other work competing for the cores. */
export function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}
