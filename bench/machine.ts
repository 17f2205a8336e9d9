import { readdirSync, readFileSync } from 'node:fs';
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

// Linux reports process times in USER_HZ ticks, which is 100 on every mainstream platform.
const TICK_MS = 10;

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc; undefined
 * where there is no procfs or the process is gone. On a shared machine, CPU per unit of work
 * varies far less than wall-clock rates do.
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields 14 and 15 follow its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** This process's own CPU time so far, in milliseconds. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * CPU milliseconds used so far by the Kafka broker (the JVM running kafka.Kafka) and by
 * PostgreSQL (every process named postgres: the server is shared, so this includes other
 * clients' work). Empty where there is no procfs.
 */
export function serverCpuMs(): Record<string, number> {
  const used: Record<string, number> = {};
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return used;
  }
  for (const pid of pids) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const server =
      comm === 'postgres'
        ? 'postgres'
        : comm === 'java' && readCmdline(pid).includes('kafka.Kafka')
          ? 'kafka'
          : undefined;
    const ms = server === undefined ? undefined : processCpuMs(Number(pid));
    if (server !== undefined && ms !== undefined) used[server] = (used[server] ?? 0) + ms;
  }
  return used;
}

function readCmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
