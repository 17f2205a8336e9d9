// Tables fit the width they are given; CSV is RFC 4180.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import stringWidth from 'string-width';
import { toCsv } from '../../../src/apps/cli/csv.ts';
import { albumTable } from '../../../src/apps/cli/output.ts';
import { shorten, tableWidth } from '../../../src/apps/cli/table.ts';
import { parseCsv } from './csv-reader.ts';

const long = {
  id: 2147483647,
  title: 'T'.repeat(300),
  artist: 'A'.repeat(120),
  price: 99999999.99,
};

test('albumTable at 80 columns: no line longer, long text shortened with …, id and price whole', () => {
  const lines = albumTable(
    [long, { id: 1, title: 'Jeru', artist: 'Gerry Mulligan', price: 1 }],
    80,
  ).split('\n');
  for (const line of lines) assert.ok(stringWidth(line) <= 80, `${stringWidth(line)}: ${line}`);
  assert.match(lines[1] ?? '', /^2147483647 {2}T+… {2}A+… {2}99999999\.99$/);
  assert.match(lines[2] ?? '', /^ {9}1 {2}Jeru {2,}Gerry Mulligan {2,}1\.00$/);
  assert.equal(lines.at(-1), '2 albums');
});

test('a table that fits is left as it is; wide characters count two columns', () => {
  assert.equal(
    albumTable([{ id: 7, title: 'Blue', artist: 'Miles', price: 9.5 }], 80),
    'ID  TITLE  ARTIST  PRICE\n 7  Blue   Miles    9.50\n1 album',
  );
  const wide = albumTable([{ ...long, title: '藍'.repeat(100) }], 40).split('\n');
  for (const line of wide) assert.ok(stringWidth(line) <= 40, line);
  assert.equal(shorten('藍藍藍', 4), '藍…');
  // A grapheme is never split: the flag stays whole or goes.
  assert.equal(shorten('ab🇫🇷cd', 4), 'ab…');
});

test('control characters cannot break a row or reach the terminal', () => {
  const [, row] = albumTable([{ id: 1, title: 'a\nb\u001b[31m', artist: 'x', price: 0 }], 80).split(
    '\n',
  );
  assert.equal(row, ' 1  a\uFFFDb\uFFFD[31m  x        0.00');
});

test('tableWidth: the terminal, else COLUMNS, else 80', () => {
  assert.equal(tableWidth({ isTTY: true, columns: 132 }, { COLUMNS: '40' }), 132);
  assert.equal(tableWidth({}, { COLUMNS: '40' }), 40);
  assert.equal(tableWidth({}, {}), 80);
  assert.equal(tableWidth({ isTTY: true }, { COLUMNS: 'wide' }), 80);
});

test('toCsv: a header of every field, quoted where needed, nested fields as dotted columns', () => {
  const csv = toCsv([
    { id: 1, title: 'Say "hi", twice\nthen', source: { topic: 't', offset: 3 } },
    { id: 2, title: 'plain', source: null },
  ]);
  assert.equal(
    csv,
    'id,title,source.topic,source.offset,source\r\n1,"Say ""hi"", twice\nthen",t,3,\r\n2,plain,,,\r\n',
  );
  assert.deepEqual(parseCsv(csv), [
    ['id', 'title', 'source.topic', 'source.offset', 'source'],
    ['1', 'Say "hi", twice\nthen', 't', '3', ''],
    ['2', 'plain', '', '', ''],
  ]);
  assert.equal(toCsv({ albums: 3 }), 'albums\r\n3\r\n');
});
