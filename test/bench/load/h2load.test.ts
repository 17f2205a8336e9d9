import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { answerBytes, grpcFrame, listAlbumsCall } from '../../../bench/load/grpc-load.ts';
import { countCalls, h2loadLoad, parseH2loadReport } from '../../../bench/load/h2load.ts';
import { onPath } from '../../../bench/load/tools.ts';
import { ListAlbumsResponseSchema } from '../../../src/gen/service/music_pb.js';

// What h2load 1.52 prints for a timed run; done = succeeded + failed, and failed counts the
// errored and timed-out calls.
const REPORT = `starting benchmark...
spawning thread #0: 1 total client(s). Timing-based test with 0s of warm-up time and 2s of main duration for measurements.
Main benchmark duration is over for client #0. Stopping all clients.

finished in 2.00s, 14865.50 req/s, 6.55MB/s
requests: 29731 total, 29763 started, 29731 done, 29700 succeeded, 31 failed, 10 errored, 0 timeout
status codes: 29700 2xx, 0 3xx, 0 4xx, 21 5xx
traffic: 13.10MB (13733411) total, 1.05MB (1097766) headers (space savings 93.02%), 11.93MB (12507300) data
`;

test('h2load report: duration, calls begun, ended, succeeded and failed, and the DATA bytes', () => {
  assert.deepEqual(parseH2loadReport(REPORT), {
    seconds: 2,
    started: 29763,
    done: 29731,
    succeeded: 29700,
    failed: 31,
    errored: 10,
    dataBytes: 12507300,
  });
  assert.equal(parseH2loadReport(REPORT.replace('2.00s,', '950.12ms,')).seconds, 0.95012);
  assert.throws(() => parseH2loadReport('h2load: connection refused'), /unexpected report/);
});

test('calls counted: OK by whole answers less those unended or reset, failed by answers missing', () => {
  const report = parseH2loadReport(REPORT);
  // 12,507,300 bytes are 29,086 answers of 430; 32 in flight and 10 reset may have added bytes;
  // 614 calls succeeded to h2load with no answer of their own: gRPC errors.
  assert.deepEqual(countCalls(report, 430), { ok: 29086 - 32 - 10, failed: 31 + 614 });
  // More whole answers than calls succeeded: the succeeded bound the count, none failed more.
  assert.deepEqual(countCalls(report, 400), { ok: 29700, failed: 31 });
  assert.deepEqual(countCalls({ ...report, dataBytes: 0 }, 430), { ok: 0, failed: 31 + 29700 });
});

test('h2load counts as OK only calls whose whole answer arrived and ended: not gRPC errors (HTTP 200), not answers cut off at the end', async () => {
  // npm test installs it (infra/system-packages.txt).
  const h2load = onPath('h2load');
  assert.ok(h2load !== null, 'h2load is not installed (Debian package nghttp2-client)');
  // A page large enough to take several DATA frames.
  const albums = 3000;
  const call = listAlbumsCall(albums);
  const page = grpcFrame(
    toBinary(
      ListAlbumsResponseSchema,
      create(ListAlbumsResponseSchema, {
        albums: Array.from({ length: albums }, (_, i) => ({
          id: i + 1,
          title: `Album ${i}`,
          artist: 'Artist',
          price: 1.5,
        })),
      }),
    ),
  );
  assert.ok(page.length > 3 * 16_384);
  // Every third call fails as the fast path fails one: HTTP 200, no message, status in trailers.
  // Six calls get their whole message but their trailers only after h2load has stopped: they add
  // a whole answer's bytes each and never end. Six of the eight streams: more than the calls
  // that may end at the server but not in h2load's count, so counting them would show.
  const HELD = new Set([10, 13, 16, 19, 22, 25]);
  let calls = 0;
  let completed = 0;
  let refused = 0;
  let holding = true;
  const held: (() => void)[] = [];
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      const n = calls++;
      const fail = n % 3 === 2;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => {
        const send = () => {
          if (stream.destroyed) return;
          stream.sendTrailers({ 'grpc-status': fail ? '14' : '0' });
          if (!holding) return;
          if (fail) refused++;
          else completed++;
        };
        if (HELD.has(n)) held.push(send);
        else send();
      });
      stream.end(fail ? undefined : page);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const bytes = await answerBytes(baseUrl, call);
    assert.equal(bytes, page.length);
    completed = 0;
    refused = 0;
    const concurrency = 8;
    const result = await h2loadLoad(h2load, {
      baseUrl,
      call,
      answerBytes: bytes,
      concurrency,
      seconds: 1,
    });
    holding = false;
    assert.ok(calls > HELD.size + 40, `only ${calls} calls`);
    assert.ok(refused > 50, `the server refused ${refused} calls`);
    // Never more than the calls that ended OK; fewer by at most the calls in flight at the end.
    assert.ok(result.ok <= completed, `${result.ok} OK of ${completed} ended OK`);
    assert.ok(result.ok >= completed - 2 * concurrency, `${result.ok} OK of ${completed}`);
    // Every refusal is a failure, but for those whose end h2load did not see.
    const failures = `${result.failed} failed, ${refused} refused`;
    assert.ok(result.failed <= refused, failures);
    assert.ok(result.failed >= refused - 2 * concurrency, failures);
    assert.equal(result.generator, 'h2load');
    assert.ok(result.latency.count > 0);
  } finally {
    for (const send of held) send();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
