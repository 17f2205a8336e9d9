import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { patchDependencies } from '../../infra/patch-dependencies.mjs';

const root = join(import.meta.dirname, '..', '..');

test('the installed postgres driver flushes nothing to a closed socket (patched after npm ci)', () => {
  // The bootstrap patched it before this run: running again changes nothing.
  assert.deepEqual(patchDependencies(), []);
  for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
    const text = readFileSync(join(root, 'node_modules', 'postgres', file), 'utf8');
    const nextWrite = text.slice(text.indexOf('function nextWrite('));
    assert.match(
      nextWrite.split('\n').slice(0, 3).join('\n'),
      /if \(socket === null\)/,
      `${file}: nextWrite checks the socket before writing`,
    );
    const closed = text.slice(text.indexOf('async function closed('));
    assert.match(closed.split('\n').slice(0, 8).join('\n'), /chunk = nextWriteTimer = null/);
  }
});

test('the installed @platformatic/kafka producer sends each partition to its own leader at each attempt', () => {
  const text = readFileSync(
    join(
      root,
      'node_modules',
      '@platformatic',
      'kafka',
      'dist',
      'clients',
      'producer',
      'producer.js',
    ),
    'utf8',
  );
  const send = text.slice(text.indexOf('#performSingleDestinationSend(topics, messages'));
  const attempt = send.slice(0, send.indexOf('#isProducerStateLost('));
  assert.match(attempt, /const byLeader = new Map\(\);/, 'records grouped by leader per attempt');
  assert.ok(
    attempt.indexOf('byLeader') < attempt.indexOf('const leader = metadata'),
    'grouped before the single-leader request',
  );
  assert.equal(
    attempt.match(/\|\| !!findErrorBy\(error, 'hasStaleMetadata', true\)/g)?.length,
    2,
    'a refusal for stale metadata refreshes it before the next attempt, on both paths',
  );
});
