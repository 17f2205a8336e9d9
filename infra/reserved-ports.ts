// Ports for the tests' and the bench's servers. A port the system hands out (port 0), or any port
// of its ephemeral range, can be taken by an outgoing connection between the check that it is
// free and the listen: a test's broker restarted on its port could not start again, and the
// bench's REST API could not start ("Address already in use", both seen). These ports lie below
// that range, so no outgoing connection gets them, and a claim file keeps the other test and
// bench processes off them.
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { processRuns } from './process-runs.ts';
import { freePort } from './services.ts';

const CLAIMS = resolve(import.meta.dirname, '..', '.data', 'reserved-ports');
/** Below are the well-known and registered ports that other software on the machine may use. */
const LOWEST = 20_000;
const mine: string[] = [];

process.once('exit', () => {
  for (const file of mine) {
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  }
});

/** The first port of the system's ephemeral range (Linux; 32768 where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Claims `port` for this process: false when a living process holds it. */
function claim(port: number): boolean {
  const file = join(CLAIMS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      mine.push(file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = 0;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        // Being written or removed right now: try again.
      }
      if (owner > 0 && processRuns(owner)) return false;
      if (owner > 0) {
        try {
          unlinkSync(file);
        } catch {
          // Another process reclaimed it first.
        }
      }
    }
  }
  return false;
}

/**
 * `span` consecutive loopback ports that nothing listens on, below the ephemeral range and
 * claimed by this process until it exits.
 */
export async function reservedPort(span = 1): Promise<number> {
  const high = ephemeralLow() - span - 20;
  // A system whose ephemeral range starts low leaves no room: take what it deems free.
  if (high - LOWEST < 1_000) return freePort('127.0.0.1', 0, span);
  mkdirSync(CLAIMS, { recursive: true });
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort('127.0.0.1', randomInt(LOWEST, high), span);
    const claimed: number[] = [];
    for (let p = port; p < port + span && claim(p); p++) claimed.push(p);
    if (claimed.length === span) return port;
    for (const p of claimed) {
      const file = join(CLAIMS, String(p));
      unlinkSync(file);
      mine.splice(mine.indexOf(file), 1);
    }
  }
  throw new Error(`no ${span} free ports to claim between ${LOWEST} and ${high}`);
}
