// `node src/apps/probe/main.ts <rest|grpc|consumer>`: one health check of the service running
// beside it (same container, same environment), for Docker Compose health checks and Kubernetes
// exec probes. Exit 0 when healthy, 1 when not, 2 on bad usage; one line says why.
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../../shared/config.ts';
import { CHECK_NAMES, runCheck } from './checks.ts';

function usage(line: string): never {
  process.stderr.write(`probe: ${line}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'timeout-ms': { type: 'string', default: '5000' } },
});
const name = CHECK_NAMES.find((n) => n === positionals[0]);
if (name === undefined || positionals.length !== 1)
  usage(`usage: probe <${CHECK_NAMES.join('|')}> [--timeout-ms <ms>]`);
const timeoutMs = Number(values['timeout-ms']);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
  usage(`--timeout-ms must be a positive integer (got ${values['timeout-ms']})`);
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) usage(err.message);
  throw err;
}
const { ok, line } = await runCheck(name, config, timeoutMs);
process.stdout.write(`${line}\n`);
process.exit(ok ? 0 : 1);
