import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, redactUrl, secretsOf } from '../../src/shared/config.ts';
import {
  databaseHosts,
  editDatabaseUrl,
  firstServerUrl,
  withHosts,
} from '../../src/shared/database-url.ts';

const PAIR =
  'postgres://music_writer:p%40ss@127.0.0.1:5432,127.0.0.1:5433/music?target_session_attrs=read-write';

test('a URL naming a primary and its standby is read through its first server', () => {
  assert.deepEqual(databaseHosts(PAIR), ['127.0.0.1:5432', '127.0.0.1:5433']);
  assert.deepEqual(databaseHosts('postgres://u@db/music'), ['db']);
  const first = firstServerUrl(PAIR);
  assert.equal(first.port, '5432');
  assert.equal(first.password, 'p%40ss');
  assert.equal(first.searchParams.get('target_session_attrs'), 'read-write');
  assert.equal(
    withHosts(PAIR, ['db:5432']),
    'postgres://music_writer:p%40ss@db:5432/music?target_session_attrs=read-write',
  );
});

test('an edit keeps every server of the list', () => {
  const moved = editDatabaseUrl(PAIR, (u) => {
    u.pathname = '/scratch';
  });
  assert.equal(
    moved,
    'postgres://music_writer:p%40ss@127.0.0.1:5432,127.0.0.1:5433/scratch?target_session_attrs=read-write',
  );
});

test('the password of a multi-host URL is kept out of logs like any other', () => {
  assert.deepEqual(secretsOf({ DATABASE_URL: PAIR }), ['p%40ss', 'p@ss']);
  assert.equal(
    redactUrl(PAIR),
    'postgres://music_writer:***@127.0.0.1:5432,127.0.0.1:5433/music?target_session_attrs=read-write',
  );
});

test('PG_STANDBY: the local URLs name both servers, writers the primary first, readers the standby', () => {
  const local = { owner: 'o', writer: 'w', reader: 'r' };
  const config = loadConfig({ PG_STANDBY: 'true', PG_STANDBY_PORT: '5999' }, () => local);
  assert.deepEqual(databaseHosts(config.DATABASE_WRITE_URL), ['127.0.0.1:5432', '127.0.0.1:5999']);
  assert.deepEqual(databaseHosts(config.DATABASE_MIGRATE_URL), [
    '127.0.0.1:5432',
    '127.0.0.1:5999',
  ]);
  assert.deepEqual(databaseHosts(config.DATABASE_READ_URL), ['127.0.0.1:5999', '127.0.0.1:5432']);
  assert.equal(firstServerUrl(config.DATABASE_READ_URL).username, 'music_reader');
  // Writers connect only where writes are taken: the standby once promoted, never before.
  for (const url of [config.DATABASE_WRITE_URL, config.DATABASE_MIGRATE_URL])
    assert.equal(firstServerUrl(url).searchParams.get('target_session_attrs'), 'read-write');
  assert.equal(
    firstServerUrl(config.DATABASE_READ_URL).searchParams.has('target_session_attrs'),
    false,
  );
  // An operator's URLs are the whole truth.
  const given = loadConfig({ PG_STANDBY: 'true', DATABASE_URL: 'postgres://app:pw@db/music' });
  assert.equal(given.DATABASE_WRITE_URL, 'postgres://app:pw@db/music');
});
