import assert from 'node:assert/strict';
import { test } from 'node:test';
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
    '≥ 50,000',
    '0.5 of PostgreSQL ceiling',
    '1.5 → 2.25',
  ]);
  assert.deepEqual(cells(lines.find((l) => l.startsWith('| Single POST p99'))), [
    'Single POST p99',
    '7.46 ms',
    '≤ 8',
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
