import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LatencySummary, latencyRecorder } from '../percentiles.ts';

export interface PacedOptions {
  readonly url: string;
  /** Bodies to post in turn. */
  readonly body: (i: number) => string;
  readonly perSecond: number;
  readonly seconds: number;
  /** Told of each 202 with the album id it answered and when it arrived (performance.now()). */
  readonly onAccepted: (id: number, at: number) => void;
}

export interface PacedResult {
  readonly sent: number;
  readonly accepted: number;
  /** From each POST's start to its 202: what a client of the REST API waits. */
  readonly answered: LatencySummary;
  readonly failed: number;
  readonly seconds: number;
}

// Requests that are due are sent every tick: at 1,000/s that is 2 per tick, which is as steady as
// the event loop allows. (autocannon's rate option sends each second's quota in a burst.)
const TICK_MS = 2;

/**
 * Posts at a fixed rate whatever the answers take (open loop), over keep-alive connections, and
 * reports the album id of each 202.
 */
export async function pacedPosts(o: PacedOptions): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(o.url);
  let sent = 0;
  let accepted = 0;
  let failed = 0;
  let inFlight = 0;
  const answered = latencyRecorder();
  const post = (body: string) => {
    inFlight++;
    const start = performance.now();
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          inFlight--;
          const at = performance.now();
          if (res.statusCode !== 202) {
            failed++;
            return;
          }
          const { id } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: number };
          accepted++;
          answered.record(at - start);
          o.onAccepted(id, at);
        });
      },
    );
    req.on('error', () => {
      inFlight--;
      failed++;
    });
    req.end(body);
  };

  const started = performance.now();
  const total = Math.round(o.perSecond * o.seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * o.perSecond) / 1000));
    while (sent < due) post(o.body(sent++));
    await sleep(TICK_MS);
  }
  const seconds = (performance.now() - started) / 1000;
  const deadline = performance.now() + 30_000;
  while (inFlight > 0 && performance.now() < deadline) await sleep(5);
  agent.destroy();
  return { sent, accepted, answered: answered.summary(), failed: failed + inFlight, seconds };
}
