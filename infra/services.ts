import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RotatingFileStream } from 'rotating-file-stream';
import { logWritten, pipeToLog, serviceLog } from './service-log.ts';

export interface ServiceSpec {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
  /** Options for Node itself, such as --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  /** The Kafka principal it connects as, where the broker has principals (infra/kafka-auth.ts). */
  readonly kafkaRole?: 'rest' | 'consumer';
  /**
   * Serves Prometheus metrics on METRICS_PORT, for which `npm start` gives it a port of its own:
   * from METRICS_PORT upwards in this order, the same as each process's default (METRICS_PORTS).
   */
  readonly servesMetrics?: boolean;
  /** Variables of its own, over those every process is given. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The processes of music-service, as `npm start` runs them. */
export const SERVICES: readonly ServiceSpec[] = [
  { name: 'rest', script: 'src/apps/rest/main.ts', kafkaRole: 'rest', servesMetrics: true },
  { name: 'grpc', script: 'src/apps/grpc/main.ts', servesMetrics: true },
  {
    name: 'consumer-platformatic',
    script: 'src/apps/consumer/main.ts',
    args: ['--client', 'platformatic'],
    kafkaRole: 'consumer',
    servesMetrics: true,
  },
  {
    name: 'consumer-confluent',
    script: 'src/apps/consumer/main.ts',
    args: ['--client', 'confluent'],
    kafkaRole: 'consumer',
    servesMetrics: true,
  },
];

export interface RunningService {
  readonly spec: ServiceSpec;
  child: ChildProcess;
  readonly logFile: string;
  /** The rotating stream behind `logFile`, shared by every run of the service. */
  readonly log: RotatingFileStream;
}

/** Whether nothing listens on `port` of `host` (and we may bind it). */
function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A port of `host` that the system deems free right now. */
function anyPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * A port of `host` that nothing listens on, and with it the `span - 1` ports after it (a Kafka
 * broker's controller listens on port + 1): the first from `from` upwards, or, with `from` 0,
 * one the system picks. At most 20 tries.
 */
export async function freePort(host = '127.0.0.1', from = 0, span = 1): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = from === 0 ? await anyPort(host) : from + attempt;
    let free = port > 0 && port + span - 1 <= 65535;
    for (let next = port; free && next < port + span; next++) free = await isFree(host, next);
    if (free) return port;
  }
  throw new Error(`no free port on ${host}${from === 0 ? '' : ` from ${from} to ${from + 19}`}`);
}

/**
 * Starts a service as a child on the pinned Node with an IPC channel: the child exits by itself
 * when this process dies, even by SIGKILL. Its output goes through this process to
 * <logsDir>/<name>.log, which rotates by size (infra/service-log.ts): a file descriptor handed
 * to the child could only grow.
 */
export function spawnService(
  root: string,
  logsDir: string,
  spec: ServiceSpec,
  env: NodeJS.ProcessEnv,
): RunningService {
  mkdirSync(logsDir, { recursive: true });
  const logFile = join(logsDir, `${spec.name}.log`);
  const log = serviceLog(logsDir, spec.name);
  const child = fork(join(root, spec.script), [...(spec.args ?? [])], {
    cwd: root,
    env: { ...env, ...spec.env },
    execArgv: ['--disable-warning=ExperimentalWarning', ...(spec.nodeArgs ?? [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  pipeToLog(log, child.stdout, child.stderr);
  return { spec, child, logFile, log };
}

/** Resolves when the child reports ready; rejects if it exits first or takes too long. */
export function whenReady(service: RunningService, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `${service.spec.name} not ready after ${timeoutMs / 1000}s; see ${service.logFile}`,
          ),
        ),
      timeoutMs,
    );
    service.child.on('message', (message: { type?: string }) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    service.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${service.spec.name} exited with code ${code} while starting; see ${service.logFile}`,
        ),
      );
    });
  });
}

/**
 * SIGTERM, then SIGKILL after the grace period; resolves when the child is gone and its last
 * lines are in its log file (callers read it next).
 */
export async function stopService(service: RunningService, graceMs: number): Promise<void> {
  const { child } = service;
  if (child.exitCode === null && child.signalCode === null) {
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
  // Its output ends after its exit; a second at most, should anything else hold the pipe.
  if (child.stdout && !child.stdout.readableEnded)
    await Promise.race([once(child, 'close'), sleep(1000)]);
  await logWritten(service.log);
}
