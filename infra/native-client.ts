// The librdkafka Kafka client (@confluentinc/kafka-javascript), built from source for the pinned
// Node 24 on first use. It runs beside the other first-start steps (Kafka's jars, initdb, the UI
// build): only the confluent consumer and the tests need it, and it is the slowest of them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runQuiet } from './run-quiet.ts';

const HINT =
  'Debian: apt-get install build-essential python3 pkg-config libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev libcurl4-openssl-dev';

/** What the build depends on: the lockfile's packages and this Node. */
function buildStamp(root: string): string {
  return createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .update(process.version + process.platform + process.arch)
    .digest('hex');
}

function loads(root: string): boolean {
  return (
    spawnSync(process.execPath, ['-e', "require('@confluentinc/kafka-javascript')"], { cwd: root })
      .status === 0
  );
}

const onPath = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** Why the build cannot start here, or null when it can. */
function missingPrerequisites(): string | null {
  const tools = ['make', 'g++', 'python3', 'pkg-config'].filter((t) => !onPath(t));
  if (tools.length > 0) return `missing ${tools.join(', ')} (${HINT})`;
  // librdkafka's configure leaves out what it cannot find, silently: without zstd headers the
  // client would build, then stall on the first zstd-compressed record another producer sent.
  const libraries = ['libssl', 'zlib', 'libzstd', 'liblz4', 'libsasl2', 'libcurl'];
  const absent = libraries.filter((l) => spawnSync('pkg-config', ['--exists', l]).status !== 0);
  return absent.length > 0 ? `missing development files of ${absent.join(', ')} (${HINT})` : null;
}

/** Makes `require('@confluentinc/kafka-javascript')` work on this Node, building it if needed. */
export async function ensureNativeClient(
  root: string,
  report: (line: string) => void,
): Promise<void> {
  const stampFile = join(root, 'node_modules', '.music-native-stamp');
  const want = buildStamp(root);
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === want) return;
  if (!loads(root)) {
    const missing = missingPrerequisites();
    if (missing !== null) throw new Error(`librdkafka: ${missing}`);
    const started = Date.now();
    report('librdkafka: building the Kafka client for Node 24 (1-3 minutes)…');
    const modules = join(root, 'node_modules');
    const out = await runQuiet(
      'npm',
      ['rebuild', '@confluentinc/kafka-javascript', '--loglevel=error'],
      {
        cwd: root,
        env: {
          ...process.env,
          PATH: `${join(modules, '.bin')}${delimiter}${process.env.PATH ?? ''}`,
          CKJS_LINKING: 'dynamic',
          npm_config_build_from_source: 'true',
          npm_config_nodedir: join(
            modules,
            'node',
            'node_modules',
            `node-${process.platform}-${process.arch}`,
          ),
        },
      },
    );
    if (out.code !== 0) {
      const tail = out.out.trim().split('\n').slice(-15).join('\n');
      throw new Error(`librdkafka: the build failed:\n${tail || 'no output'}`);
    }
    if (!loads(root)) throw new Error('librdkafka: built, but the client does not load on Node 24');
    report(`librdkafka: built in ${Math.round((Date.now() - started) / 1000)}s`);
  }
  writeFileSync(stampFile, want);
}
