import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grpcFrame, unframe } from '../../bench/load/grpc-load.ts';
import { parseProducerPerformance } from '../../bench/phases/kafka-ceiling.ts';
import { shapeResult } from '../../bench/result.ts';
import { markdownTable, renderTable, replaceFigures } from '../../bench/table.ts';
import { complete, machine } from './fixtures.ts';

test('the figures table lists each figure with its target, ratio and load', () => {
  const table = renderTable(
    shapeResult(complete, {
      mode: 'quick',
      startedAt: new Date('2026-01-02T03:04:05Z'),
      seconds: 150,
      machine,
      loads: { ingest: { before: 1.5, after: 2.25 } },
    }),
  );
  const cells = (line: string | undefined) =>
    line
      ?.split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const lines = table.split('\n');
  assert.deepEqual(cells(lines.find((l) => l.startsWith('| Ingest'))), [
    'Ingest, batch POSTs to rows visible',
    '50,000 albums/s',
    '≥ 20,000',
    '0.5 of PostgreSQL ceiling',
    '1.5 → 2.25',
  ]);
  assert.deepEqual(cells(lines.find((l) => l.startsWith('| Single POST p99'))), [
    'Single POST p99',
    '18.46 ms',
    '≤ 20',
    '',
    '',
  ]);
  // Every row of the table is padded to the same width, as the formatter writes it.
  const rowLengths = new Set(lines.filter((l) => l.startsWith('|')).map((l) => l.length));
  assert.equal(rowLengths.size, 1, [...rowLengths].join(' '));
  assert.ok(table.includes('quick mode (150 s) on 2 cores'));
});

test('a Markdown table is padded as Biome formats it: left columns after, right ones before', () => {
  assert.equal(
    markdownTable(
      ['name', 'n'],
      ['left', 'right'],
      [
        ['a', '1'],
        ['long name', '12345'],
      ],
    ),
    [
      '| name      |     n |',
      '| --------- | ----: |',
      '| a         |     1 |',
      '| long name | 12345 |',
    ].join('\n'),
  );
});

test('the table replaces what lies between the markers, and nothing without them', () => {
  const doc = 'intro\n<!-- bench:figures:start -->\nold\n<!-- bench:figures:end -->\nafter\n';
  assert.equal(
    replaceFigures(doc, 'new'),
    'intro\n<!-- bench:figures:start -->\nnew\n<!-- bench:figures:end -->\nafter\n',
  );
  assert.equal(replaceFigures('no markers', 'new'), 'no markers');
});

test("ProducerPerformance's closing line gives the ceiling; progress lines are not it", () => {
  const output = [
    '512345 records sent, 102469.0 records/sec (9.77 MB/sec), 120.5 ms avg latency, 300.0 ms max latency.',
    '1000000 records sent, 123456.789 records/sec (11.77 MB/sec), 95.12 ms avg latency, 400.00 ms max latency, 80 ms 50th, 200 ms 95th, 250 ms 99th, 390 ms 99.9th.',
  ].join('\n');
  assert.deepEqual(parseProducerPerformance(output, 100), {
    records: 1_000_000,
    msgsPerSecond: 123456.789,
    mbPerSecond: 11.77,
    avgLatencyMs: 95.12,
    p99LatencyMs: 250,
    recordBytes: 100,
  });
  assert.equal(parseProducerPerformance('Exception in thread "main"', 100), null);
});

test('gRPC frames: a request frame unframes to its message; damaged frames do not', () => {
  const message = Buffer.from([8, 50]);
  const frame = grpcFrame(message);
  assert.deepEqual([...frame], [0, 0, 0, 0, 2, 8, 50]);
  assert.deepEqual(unframe(frame), { compressed: false, message });
  assert.equal(unframe(frame.subarray(0, 6)), null);
  assert.equal(unframe(Buffer.from([2, 0, 0, 0, 0])), null);
  assert.equal(unframe(Buffer.from([1, 0, 0, 0, 1, 7]))?.compressed, true);
});
