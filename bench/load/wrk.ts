import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LatencySummary } from '../percentiles.ts';
import { perSecond } from '../percentiles.ts';
import type { HttpLoadResult } from './http-load.ts';
import { runTool } from './tools.ts';

// wrk's summary as JSON, written by its done() hook: counts and latency percentiles (µs).
const REPORT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"us":%d,"bad":%d,"errors":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
`;

/** `s` as a double-quoted Lua string literal. */
function luaString(s: string): string {
  const escaped = s.replace(/[\\"\n\r\0]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\000' : `\\${c}`,
  );
  return `"${escaped}"`;
}

/**
 * wrk's script for one load: the request (a POST's JSON body, sent as it is) and the report.
 * Every request is the same one. A script Lua cannot parse is not an error to wrk: it reports it
 * and GETs the URL, so the body is a quoted string, which any text survives.
 */
export function wrkScript(o: { readonly method: 'GET' | 'POST'; readonly body?: string }): string {
  if (o.body === undefined) return `wrk.method = "${o.method}"\n${REPORT}`;
  return [
    `wrk.method = "${o.method}"`,
    `wrk.headers["Content-Type"] = "application/json"`,
    `wrk.body = ${luaString(o.body)}`,
    REPORT,
  ].join('\n');
}

/**
 * Loads `url` with wrk (one thread, `connections` connections, each one request in flight) for
 * `seconds`, sending the request `script` describes (wrkScript). wrk counts answers of status 400
 * and above as bad, the rest as good: the caller's ok status is a success (2xx).
 */
export async function wrkLoad(
  wrk: string,
  o: { readonly url: string; readonly connections: number; readonly seconds: number },
  script: string,
): Promise<HttpLoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'music-bench-wrk-'));
  const scriptPath = join(dir, 'load.lua');
  writeFileSync(scriptPath, script);
  const out = await runTool(wrk, [
    '-t1',
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--timeout',
    '30s',
    '-s',
    scriptPath,
    o.url,
  ]).finally(() => rmSync(dir, { recursive: true, force: true }));
  const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
  if (line === undefined)
    throw new Error(
      `wrk gave no summary (a script error makes it GET without one): ${out.slice(-300)}`,
    );
  const r = JSON.parse(line) as Record<string, number>;
  const n = (k: string) => r[k] ?? 0;
  const ms = n('us') / 1000;
  const failed = n('bad') + n('errors');
  const ok = Math.max(0, n('requests') - n('bad'));
  const latency: LatencySummary = {
    count: ok,
    p50_ms: n('p50') / 1000,
    p90_ms: n('p90') / 1000,
    p99_ms: n('p99') / 1000,
    p999_ms: n('p999') / 1000,
    max_ms: n('max') / 1000,
  };
  return {
    ok,
    failed,
    seconds: ms / 1000,
    okPerSecond: perSecond(ok, ms),
    latency,
    generator: 'wrk',
  };
}
