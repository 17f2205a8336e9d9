// What a request costs the logs: a URL as long as Node takes (16 KB of request line) leaves
// lines of bounded size, access line and problem alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { clip } from '../../../src/apps/rest/access-log.ts';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';

test('clip keeps short text and says how long a long one was', () => {
  assert.equal(clip('/api/v1/albums'), '/api/v1/albums');
  assert.equal(clip('abcdef', 3), 'abc… (6 characters)');
});

test('a 15 KB URL logs at most 2 KB per line, at every level', async (t) => {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const app = await buildRestApp({
    log,
    intake: { allocateIds: async () => [], publish: async () => {} },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  t.after(() => app.close());
  const long = `/api/v1/nothing-here?${'q'.repeat(15 * 1024)}`;
  const listed = `/api/v1/albums?artist=${'a'.repeat(15 * 1024)}`;

  const missing = await app.inject({ method: 'GET', url: long });
  const refused = await app.inject({ method: 'GET', url: listed });

  assert.equal(missing.statusCode, 404);
  assert.equal(refused.statusCode, 400, refused.body);
  assert.ok(lines.length >= 4, `the requests were logged: ${lines.length} lines`);
  for (const line of lines)
    assert.ok(line.length <= 2048, `${line.length} bytes: ${line.slice(0, 300)}`);
  assert.ok(
    lines.some((l) => / \(15\d{3} characters\)/.test(l)),
    'the clipped URL says its length',
  );
});
