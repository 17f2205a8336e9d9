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
 * Two adjacent tick counts of /proc/<pid>/stat summed, in milliseconds; undefined where there is
 * no procfs or the process is gone. `first` counts from field 3 (the one after the command name,
 * which may hold spaces and ends at the last closing paren).
 */
function statCpuMs(pid: number | 'self', first: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[first]) + Number(fields[first + 1])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds, from /proc (utime and
 * stime, fields 14 and 15). On a shared machine, CPU per unit of work varies far less than
 * wall-clock rates do.
 */
export function processCpuMs(pid: number): number | undefined {
  return statCpuMs(pid, 11);
}

/**
 * CPU time of this process's children that have ended and been waited for, in milliseconds
 * (cutime and cstime, fields 16 and 17): a load generator (wrk, h2load) run to its end.
 */
export function endedChildrenCpuMs(): number {
  return statCpuMs('self', 13) ?? 0;
}

/** This process's own CPU time so far, in milliseconds. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The processes of the servers the run uses, found by the ports they listen on. */
export interface ServerPorts {
  readonly kafka: number;
  readonly postgres: number;
}

/** CPU milliseconds used so far per process of each server: server name → pid → ms. */
export type ServerCpu = Record<string, Map<number, number>>;

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly cmdline: string[];
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return { pid, ppid, comm, cmdline };
  } catch {
    return undefined;
  }
}

/** The port in a broker's server.properties (the last argument of kafka.Kafka). */
function brokerPort(cmdline: readonly string[]): number | undefined {
  const props = cmdline[cmdline.indexOf('kafka.Kafka') + 1];
  if (!props) return undefined;
  try {
    const m = /^listeners=[A-Z_]+:\/\/[^:\s]+:(\d+)/m.exec(readFileSync(props, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU used so far by the Kafka broker on `ports.kafka` (the JVM running kafka.Kafka) and the
 * PostgreSQL server on `ports.postgres` (its postmaster and every backend), per process. Other
 * brokers and clusters on the machine are left out; the database server is shared, so other
 * clients' queries count. Empty where there is no procfs.
 */
export function serverCpu(ports: ServerPorts): ServerCpu {
  const used: ServerCpu = { kafka: new Map(), postgres: new Map() };
  let procs: ProcInfo[];
  try {
    procs = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map((name) => readProc(Number(name)))
      .filter((p): p is ProcInfo => p !== undefined);
  } catch {
    return used;
  }
  const postmasters = new Set(
    procs
      .filter((p) => p.comm === 'postgres' && p.cmdline.includes('-p'))
      .filter((p) => Number(p.cmdline[p.cmdline.indexOf('-p') + 1]) === ports.postgres)
      .map((p) => p.pid),
  );
  for (const p of procs) {
    const server =
      postmasters.has(p.pid) || postmasters.has(p.ppid)
        ? 'postgres'
        : p.cmdline.includes('kafka.Kafka') && brokerPort(p.cmdline) === ports.kafka
          ? 'kafka'
          : undefined;
    const ms = server === undefined ? undefined : processCpuMs(p.pid);
    if (server !== undefined && ms !== undefined) used[server]?.set(p.pid, ms);
  }
  return used;
}

/**
 * CPU milliseconds each server used between two samples: processes that started in between
 * count in full, processes that ended in between are lost (short-lived backends are rare here).
 */
export function serverCpuBetween(before: ServerCpu, after: ServerCpu): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [server, pids] of Object.entries(after)) {
    let ms = 0;
    for (const [pid, now] of pids) ms += now - (before[server]?.get(pid) ?? 0);
    used[server] = ms;
  }
  return used;
}
