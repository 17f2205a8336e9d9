// A real single-node Apache Kafka (KRaft, broker+controller) for local runs, built from Maven Central
// jars: the build tool every JDK machine has already fetches it, with no tarball mirror and no
// container engine to depend on. Layout under dataDir:
//   kafka/libs (jars + pom hash marker), kafka/data (log.dirs), kafka/server.properties, kafka/cluster.id,
//   logs/mvn.log, logs/kafka.log (JVM stdout/stderr), logs/kafka-server.log (log4j), run/kafka.pid
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
} from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { type KafkaConnection, platformaticConnection } from '../src/adapters/kafka/connection.ts';
import {
  brokerSecurityProperties,
  createKafkaPasswords,
  localKafkaConnection,
  readKafkaPasswords,
  scramFormatArgs,
  writeClientProperties,
} from './kafka-auth.ts';
import { processRuns } from './process-runs.ts';

export interface LocalKafkaOptions {
  projectRoot: string;
  dataDir: string;
  host: string;
  port: number;
  report: (line: string) => void;
  /** One node of a multi-node cluster (infra/kafka-cluster.ts); unset: a single node. */
  cluster?: ClusterNode;
}

/** A node's place in a cluster whose controllers are fixed voters. */
export interface ClusterNode {
  readonly nodeId: number;
  /** `controller.quorum.voters`: `id@host:controllerPort` of every node. */
  readonly voters: string;
}

const INSTALL_HINT =
  'install Java 17+ and Maven (Debian: apt-get install openjdk-17-jre-headless maven), or set KAFKA_BROKERS to an existing broker';
const START_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 30_000;
// Modest heap: on a laptop the broker shares the machine with PostgreSQL and the services; a
// cluster's three nodes get less each (three JVMs beside the rest on a 2-core, 23 GB machine),
// and only the quick compiler (C1): three JVMs warming up at once, and again at each restart
// of a fault test, spent the cores on compiling what a few hundred records a second never need.
const SINGLE_HEAP = ['-Xms256m', '-Xmx1g'];
const CLUSTER_HEAP = ['-Xms128m', '-Xmx384m', '-XX:TieredStopAtLevel=1'];
const JVM_OPTS = [
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

export function kafkaLibsDir(dataDir: string): string {
  return join(dataDir, 'kafka', 'libs');
}

/** Runs a short command; `code` is null when the program is not installed. */
function probe(
  cmd: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : 1;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function requireJava(): Promise<void> {
  const { code, out } = await probe('java', ['-version']);
  if (code === null) throw new Error(`kafka: java not found; ${INSTALL_HINT}`);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
  // Old JDKs report "1.8.0_x": the major version is the second number.
  const major = m === null ? 0 : m[1] === '1' ? Number(m[2]) : Number(m[1]);
  if (major < 17)
    throw new Error(
      `kafka: Kafka 4 needs Java 17+ but java reports ${m?.[0] ?? 'no version'}; ${INSTALL_HINT}`,
    );
}

async function requireMvn(): Promise<void> {
  if ((await probe('mvn', ['-v'])).code === null)
    throw new Error(`kafka: mvn not found; ${INSTALL_HINT}`);
}

/** Last lines of a log file (reads only its end: logs can be large). */
function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '(no log)';
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16_384);
    const size = fstatSync(fd).size;
    const n = readSync(fd, buf, 0, buf.length, Math.max(0, size - buf.length));
    const text = buf.subarray(0, n).toString('utf8');
    // Stack frames hide the cause; the ERROR and "Caused by:" lines are what a reader needs.
    const kept = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^(at |\.\.\. \d+ more)/.test(l));
    return kept.slice(-lines).join(' | ') || '(empty log)';
  } finally {
    closeSync(fd);
  }
}

/** One resolution per folder at a time: two mvn runs into one folder remove each other's jars. */
const resolving = new Map<string, Promise<string>>();

/** Resolves the Kafka jars (broker and tools) into <dataDir>/kafka/libs once per pom version. */
export function ensureKafkaJars(
  o: Pick<LocalKafkaOptions, 'projectRoot' | 'dataDir' | 'report'>,
): Promise<string> {
  const libs = kafkaLibsDir(o.dataDir);
  const running = resolving.get(libs);
  if (running !== undefined) return running;
  const done = resolveKafkaJars(o).finally(() => resolving.delete(libs));
  resolving.set(libs, done);
  return done;
}

async function resolveKafkaJars(
  o: Pick<LocalKafkaOptions, 'projectRoot' | 'dataDir' | 'report'>,
): Promise<string> {
  const pom = join(o.projectRoot, 'infra', 'kafka', 'pom.xml');
  const libs = kafkaLibsDir(o.dataDir);
  const marker = join(libs, '.pom.sha256');
  const hash = createHash('sha256')
    .update(await readFile(pom))
    .digest('hex');
  if ((await readFile(marker, 'utf8').catch(() => '')) === hash) return libs;

  await requireJava();
  await requireMvn();
  const logs = join(o.dataDir, 'logs');
  // A changed pom may drop jars: start from an empty folder so no stale version stays on the classpath.
  await rm(libs, { recursive: true, force: true });
  await mkdir(libs, { recursive: true });
  await mkdir(logs, { recursive: true });
  const logFile = join(logs, 'mvn.log');
  o.report('kafka: resolving jars with mvn (first run downloads ~70 MB)…');

  const started = Date.now();
  // -B (not -q): batch mode prints one "Downloaded from" line per file, which gives the progress count.
  const child = spawn(
    'mvn',
    [
      '-B',
      '-Dstyle.color=never',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(logFile);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let fetched = 0;
  let lastError = '';
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (/Downloaded from \S+ \S+\.jar /.test(line)) fetched++;
    if (line.startsWith('[ERROR]') && lastError === '') lastError = line;
  });
  let reported = 0;
  const ticker = setInterval(() => {
    // Only when the count moved: a stalled download stays visible as silence in the log, not as spam.
    if (fetched === reported) return;
    reported = fetched;
    o.report(
      `kafka: mvn downloaded ${fetched} jars so far, plugins included (${Math.round((Date.now() - started) / 1000)}s)…`,
    );
  }, 3000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => {
    clearInterval(ticker);
    log.end();
  });
  if (code !== 0)
    throw new Error(
      `kafka: mvn failed (exit ${code}): ${lastError || 'no [ERROR] line'}; see ${logFile}`,
    );

  const jars = (await readdir(libs)).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith('kafka_2.13-')))
    throw new Error(`kafka: mvn finished but ${libs} has no kafka_2.13 jar; see ${logFile}`);
  await writeFile(marker, hash);
  o.report(
    `kafka: ${jars.length} jars copied to ${libs} in ${Math.round((Date.now() - started) / 1000)}s`,
  );
  return libs;
}

export async function kafkaAnswers(kafka: KafkaConnection, timeoutMs: number): Promise<boolean> {
  const admin = new Admin({
    clientId: 'music-service-probe',
    ...platformaticConnection(kafka),
    connectTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, false);
  });
  try {
    // A starting broker can answer before it has registered itself; only a listed broker can host topics.
    const answered = admin.metadata({ topics: [] }).then(
      (m) => m.brokers.size > 0,
      () => false,
    );
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
    // close() waits for each socket's 'close'; cap it so a half-open connection cannot stall the caller.
    await Promise.race([
      admin.close().catch(() => undefined),
      sleep(1000, undefined, { ref: false }),
    ]);
  }
}

function pidFile(dataDir: string): string {
  return join(dataDir, 'run', 'kafka.pid');
}

async function readPid(dataDir: string): Promise<number | undefined> {
  const n = Number.parseInt(await readFile(pidFile(dataDir), 'utf8').catch(() => ''), 10);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Alive and really our broker: a pid file can outlive a reboot, and pids get reused. */
function isBroker(pid: number): boolean {
  if (!processRuns(pid)) return false;
  if (!existsSync('/proc/self')) return true; // no procfs (macOS): trust the pid file
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return false;
  }
}

/** Signals the broker's whole process group (it was started detached, so its pid is the group id). */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isBroker(pid)) return true;
    await sleep(200);
  }
  return !isBroker(pid);
}

/**
 * The template's node placeholders: a single node votes alone and keeps one copy of everything;
 * a cluster node knows every voter, and topics default to three replicas of which two must
 * acknowledge a write (the internal topics too: offsets and transactions survive a broker).
 */
function nodeProperties(o: LocalKafkaOptions): Record<string, string> {
  if (o.cluster === undefined)
    return {
      NODE_ID: '1',
      QUORUM: `controller.quorum.bootstrap.servers=${o.host}:${o.port + 1}`,
      REPLICAS: '1',
      MIN_ISR: '1',
    };
  return {
    NODE_ID: String(o.cluster.nodeId),
    QUORUM: `controller.quorum.voters=${o.cluster.voters}`,
    REPLICAS: '3',
    MIN_ISR: '2',
  };
}

export async function startLocalKafka(o: LocalKafkaOptions): Promise<number> {
  await requireJava();
  const libs = await ensureKafkaJars(o);
  const address = `${o.host}:${o.port}`;
  const kafkaDir = join(o.dataDir, 'kafka');
  const dataLogDir = join(kafkaDir, 'data');
  const logs = join(o.dataDir, 'logs');
  const logFile = join(logs, 'kafka.log');
  await mkdir(dataLogDir, { recursive: true });
  await mkdir(logs, { recursive: true });
  await mkdir(join(o.dataDir, 'run'), { recursive: true });

  const existing = await readPid(o.dataDir);
  if (existing !== undefined && isBroker(existing)) {
    o.report(`kafka: already running (pid ${existing})`);
    return waitReady(o, existing, localKafkaAdmin(o.dataDir, address), logFile, () => undefined);
  }
  const formatted = existsSync(join(dataLogDir, 'meta.properties'));
  // A broker formatted before authentication has no passwords and stays plaintext; a new one
  // gets them (a file left by a format that failed is reused).
  const passwords = formatted
    ? readKafkaPasswords(o.dataDir)
    : (readKafkaPasswords(o.dataDir) ?? (await createKafkaPasswords(o.dataDir)));
  const admin = localKafkaConnection([address], passwords, 'admin');
  if (await kafkaAnswers(admin, 1500)) {
    throw new Error(
      `kafka: another broker already answers on ${address}; stop it or set KAFKA_BROKERS=${address} to use it`,
    );
  }

  const template = await readFile(
    join(o.projectRoot, 'infra', 'kafka', 'server.properties'),
    'utf8',
  );
  const values: Record<string, string> = {
    HOST: o.host,
    PORT: String(o.port),
    CONTROLLER_PORT: String(o.port + 1),
    SECURITY: brokerSecurityProperties(
      {
        host: o.host,
        // A wildcard bind address cannot be advertised to clients.
        advertisedHost: o.host === '0.0.0.0' ? '127.0.0.1' : o.host,
        port: o.port,
        controllerPort: o.port + 1,
      },
      passwords,
    ),
    LOG_DIRS: dataLogDir,
    ...nodeProperties(o),
  };
  const props = template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
  if (props.includes('{{'))
    throw new Error(
      `kafka: unknown placeholder left in infra/kafka/server.properties: ${/\{\{\w+\}\}/.exec(props)?.[0]}`,
    );
  const propsFile = join(kafkaDir, 'server.properties');
  // It holds the admin's password.
  await writeFile(propsFile, props, { mode: 0o600 });
  await chmod(propsFile, 0o600);
  if (passwords !== null) await writeClientProperties(o.dataDir, admin);

  const javaArgs = (heap: string[]): string[] => [
    ...heap,
    `-Dkafka.logs.dir=${logs}`,
    `-Dlog4j2.configurationFile=${join(o.projectRoot, 'infra', 'kafka', 'log4j2.yaml')}`,
    '-cp',
    `${libs}/*`,
  ];

  // Format once: the cluster id is kept so that re-formatting is never needed (meta.properties records it).
  if (!formatted) {
    const idFile = join(kafkaDir, 'cluster.id');
    let clusterId = (await readFile(idFile, 'utf8').catch(() => '')).trim();
    if (clusterId === '') {
      // Kafka's Uuid text form (22 chars base64url); like Kafka's own random-uuid, never one that
      // starts with '-', which the tool's argument parser would take for an option.
      do clusterId = randomBytes(16).toString('base64url');
      while (clusterId.startsWith('-'));
      await writeFile(idFile, clusterId);
    }
    o.report(`kafka: formatting storage (cluster ${clusterId})…`);
    // A JVM's start-up: a cluster formats its nodes side by side, on a machine doing other work.
    const fmt = await probe(
      'java',
      [
        ...javaArgs(['-Xmx256m']),
        'kafka.tools.StorageTool',
        'format',
        // Static voters need no quorum flag; a single node is a dynamic quorum of itself.
        ...(o.cluster === undefined ? ['--standalone'] : []),
        `--cluster-id=${clusterId}`,
        ...(passwords === null ? [] : scramFormatArgs(passwords)),
        '-c',
        propsFile,
      ],
      START_TIMEOUT_MS,
    );
    await writeFile(logFile, `--- storage format ---\n${fmt.out}\n`, { flag: 'a' });
    if (fmt.code !== 0)
      throw new Error(
        `kafka: formatting storage failed: ${fmt.out.trim().split('\n').slice(-3).join(' | ')}`,
      );
  }

  o.report(`kafka: starting broker on ${address} (log ${logFile})…`);
  const fd = openSync(logFile, 'a');
  // detached = own session/process group: the broker survives the parent dying, even by SIGKILL.
  const heap = o.cluster === undefined ? SINGLE_HEAP : CLUSTER_HEAP;
  const child = spawn('java', [...javaArgs([...heap, ...JVM_OPTS]), 'kafka.Kafka', propsFile], {
    cwd: kafkaDir,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exit: string | undefined;
  child.on('exit', (code, sig) => {
    exit = sig === null ? `exit code ${code}` : `signal ${sig}`;
  });
  child.on('error', (err) => {
    exit = err.message;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`kafka: could not start java: ${exit ?? 'no pid'}`);
  await writeFile(pidFile(o.dataDir), `${pid}\n`);
  return waitReady(o, pid, admin, logFile, () => exit);
}

/** Polls until the broker answers; fails fast when it dies, stops it when it never becomes ready. */
async function waitReady(
  o: LocalKafkaOptions,
  pid: number,
  admin: KafkaConnection,
  logFile: string,
  exited: () => string | undefined,
): Promise<number> {
  const address = admin.brokers.join(',');
  const started = Date.now();
  let nextReport = started + 5000;
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (await kafkaAnswers(admin, 2000)) {
      o.report(
        `kafka: ready on ${address} in ${((Date.now() - started) / 1000).toFixed(1)}s (pid ${pid})`,
      );
      return pid;
    }
    const died = exited() ?? (isBroker(pid) ? undefined : 'process gone');
    if (died !== undefined) {
      await rm(pidFile(o.dataDir), { force: true });
      throw new Error(
        `kafka: broker died during startup (${died}); last lines of ${logFile}: ${tail(logFile, 4)}`,
      );
    }
    if (Date.now() >= nextReport) {
      o.report(
        `kafka: waiting for broker on ${address}… ${Math.round((Date.now() - started) / 1000)}s`,
      );
      nextReport += 5000;
    }
    await sleep(500);
  }
  signal(pid, 'SIGKILL');
  await rm(pidFile(o.dataDir), { force: true });
  throw new Error(
    `kafka: broker did not answer on ${address} within ${START_TIMEOUT_MS / 1000}s (killed it); last lines of ${logFile}: ${tail(logFile, 6)}`,
  );
}

export async function stopLocalKafka(
  o: Pick<LocalKafkaOptions, 'dataDir' | 'report'>,
): Promise<void> {
  const pid = await readPid(o.dataDir);
  if (pid === undefined || !isBroker(pid)) {
    await rm(pidFile(o.dataDir), { force: true });
    o.report('kafka: not running');
    return;
  }
  const started = Date.now();
  o.report(`kafka: stopping broker (pid ${pid})…`);
  // SIGTERM runs Kafka's shutdown hook: a clean shutdown avoids log recovery on the next start.
  signal(pid, 'SIGTERM');
  if (!(await waitGone(pid, STOP_GRACE_MS))) {
    o.report(`kafka: still running after ${STOP_GRACE_MS / 1000}s, sending SIGKILL`);
    signal(pid, 'SIGKILL');
    await waitGone(pid, 5000);
  }
  await rm(pidFile(o.dataDir), { force: true });
  o.report(`kafka: stopped in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** Whether the broker of `dataDir` runs (its pid file names a live broker). */
export async function localKafkaRunning(dataDir: string): Promise<boolean> {
  const pid = await readPid(dataDir);
  return pid !== undefined && isBroker(pid);
}

/** Ends the broker at once, as a crash would (SIGKILL: no shutdown hook, no clean log end). */
export async function killLocalKafka(o: Pick<LocalKafkaOptions, 'dataDir'>): Promise<void> {
  const pid = await readPid(o.dataDir);
  if (pid !== undefined && isBroker(pid)) {
    signal(pid, 'SIGKILL');
    await waitGone(pid, 10_000);
  }
  await rm(pidFile(o.dataDir), { force: true });
}

/** How the provisioning reaches the local broker of `dataDir` at `address`: as its admin. */
export function localKafkaAdmin(dataDir: string, address: string): KafkaConnection {
  return localKafkaConnection([address], readKafkaPasswords(dataDir), 'admin');
}
