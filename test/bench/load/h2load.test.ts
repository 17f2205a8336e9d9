import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { answerBytes, grpcFrame, listAlbumsCall } from '../../../bench/load/grpc-load.ts';
import { h2loadLoad, parseH2loadReport } from '../../../bench/load/h2load.ts';
import { onPath } from '../../../bench/load/tools.ts';
import { ListAlbumsResponseSchema } from '../../../src/gen/service/music_pb.js';

// What h2load 1.52 prints for a timed run (the lines the parser reads, as printed).
const REPORT = `starting benchmark...
spawning thread #0: 1 total client(s). Timing-based test with 0s of warm-up time and 2s of main duration for measurements.
Main benchmark duration is started for client #0.
Main benchmark duration is over for client #0. Stopping all clients.
Stopped all clients for thread #0

finished in 2.00s, 14865.50 req/s, 6.55MB/s
requests: 29731 total, 29763 started, 29731 done, 29700 succeeded, 21 failed, 10 errored, 0 timeout
status codes: 29700 2xx, 0 3xx, 0 4xx, 21 5xx
traffic: 13.10MB (13733411) total, 1.05MB (1097766) headers (space savings 93.02%), 11.93MB (12507300) data
`;

test('h2load report: duration, calls succeeded and failed, and the bytes of DATA read', () => {
  assert.deepEqual(parseH2loadReport(REPORT), {
    seconds: 2,
    succeeded: 29700,
    failed: 31,
    dataBytes: 12507300,
  });
  assert.equal(parseH2loadReport(REPORT.replace('2.00s,', '950.12ms,')).seconds, 0.95012);
  assert.throws(() => parseH2loadReport('h2load: connection refused'), /unexpected report/);
});

test('h2load counts as OK only the calls whose whole answer arrived: gRPC errors (HTTP 200) are failures', async () => {
  // npm test installs it (infra/system-packages.txt).
  const h2load = onPath('h2load');
  assert.ok(h2load !== null, 'h2load is not installed (Debian package nghttp2-client)');
  const call = listAlbumsCall(2);
  const page = grpcFrame(
    toBinary(
      ListAlbumsResponseSchema,
      create(ListAlbumsResponseSchema, {
        albums: [
          { id: 1, title: 'One', artist: 'A', price: 1.5 },
          { id: 2, title: 'Two', artist: 'B', price: 2.5 },
        ],
      }),
    ),
  );
  // Every third call fails as the fast path fails one: HTTP 200, no message, status in trailers.
  let calls = 0;
  let answered = 0;
  let refused = 0;
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      const fail = calls++ % 3 === 2;
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': fail ? '14' : '0' }));
      if (fail) refused++;
      else answered++;
      stream.end(fail ? undefined : page);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const bytes = await answerBytes(baseUrl, call);
    assert.equal(bytes, page.length);
    const before = { answered, refused };
    const concurrency = 8;
    const result = await h2loadLoad(h2load, {
      baseUrl,
      call,
      answerBytes: bytes,
      concurrency,
      seconds: 1,
    });
    const sent = { answered: answered - before.answered, refused: refused - before.refused };
    assert.ok(sent.refused > 100, `the server refused ${sent.refused} calls`);
    // Calls still in flight when h2load stops are neither: at most `concurrency` of them.
    assert.ok(result.ok <= sent.answered, `${result.ok} OK of ${sent.answered} answered`);
    assert.ok(result.ok >= sent.answered - concurrency, `${result.ok} OK of ${sent.answered}`);
    assert.ok(
      result.failed >= sent.refused - concurrency,
      `${result.failed} failed of ${sent.refused}`,
    );
    assert.equal(result.generator, 'h2load');
    assert.ok(result.latency.count > 0);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
