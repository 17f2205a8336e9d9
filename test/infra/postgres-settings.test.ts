import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLUSTER_SETTINGS, upgradedSettings } from '../../infra/postgres-settings.ts';

test('a new cluster compresses its WAL with lz4, not pglz', () => {
  assert.ok(CLUSTER_SETTINGS.includes('wal_compression = lz4'));
  assert.ok(!CLUSTER_SETTINGS.some((line) => line.startsWith('wal_compression = on')));
});

test("an existing cluster's former default is replaced, and nothing else", () => {
  const before = [
    "listen_addresses = '127.0.0.1'",
    'shared_buffers = 256MB',
    'wal_compression = on',
    'max_wal_size = 2GB',
    '',
  ].join('\n');
  assert.equal(
    upgradedSettings(before),
    before.replace('wal_compression = on', 'wal_compression = lz4'),
  );
});

test("an operator's ALTER SYSTEM choice stays", () => {
  for (const conf of [
    "wal_compression = 'on'\n",
    "wal_compression = 'zstd'\n",
    'work_mem = 64MB\n',
  ])
    assert.equal(upgradedSettings(conf), conf);
});
