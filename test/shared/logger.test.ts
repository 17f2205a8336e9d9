import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secretsOf } from '../../src/shared/config.ts';
import { createLogger } from '../../src/shared/logger.ts';

const PASSWORD = 'p@ss:w0rd/"quoted"&more';
const URL_WITH_PASSWORD = `postgres://music:${encodeURIComponent(PASSWORD)}@db.internal:5432/music`;

function capture() {
  const lines: string[] = [];
  const log = createLogger('test', 'trace', {
    secrets: secretsOf({ DATABASE_URL: URL_WITH_PASSWORD }),
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { log, lines };
}

test('the database password is named among the secrets, as written and decoded', () => {
  assert.deepEqual(
    secretsOf({ DATABASE_URL: URL_WITH_PASSWORD }).sort(),
    [PASSWORD, encodeURIComponent(PASSWORD)].sort(),
  );
  assert.deepEqual(secretsOf({ DATABASE_URL: 'postgres://music@h/db' }), []);
});

test("every database URL's password is a secret: the owner's, the writer's and the reader's", () => {
  const secrets = secretsOf({
    DATABASE_URL: 'postgres://music:owner-secret-1@h/db',
    DATABASE_MIGRATE_URL: 'postgres://music:owner-secret-1@h/db',
    DATABASE_WRITE_URL: 'postgres://music_writer:writer-secret-2@h/db',
    DATABASE_READ_URL: `postgres://music_reader:${encodeURIComponent('reader/secret')}@h/db`,
  });
  assert.deepEqual(secrets.sort(), [
    'owner-secret-1',
    'reader%2Fsecret',
    'reader/secret',
    'writer-secret-2',
  ]);
});

test('no log line contains the database password or an authorization header, however logged', () => {
  const { log, lines } = capture();
  const cause = new Error(`could not connect to ${URL_WITH_PASSWORD}`);
  log.info({ config: { DATABASE_URL: URL_WITH_PASSWORD } }, 'configuration');
  log.info({ DATABASE_URL: URL_WITH_PASSWORD }, 'top-level field');
  log.error({ err: new Error('outer', { cause }) }, 'an error quoting the URL in its cause');
  log.warn(`a message with the password ${PASSWORD} in it`);
  log.warn('interpolated %s', URL_WITH_PASSWORD);
  log.debug({ nested: { deeper: { text: `pw=${PASSWORD}` } } }, 'deep');
  log.info({ req: { headers: { authorization: 'Bearer abc.def.ghi', cookie: 'sid=123' } } }, 'req');
  log.info({ headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 'record headers');
  log.info({ password: 'hunter2' }, 'a field named password');
  log.info({ other: 'kafka://user:sekrit@broker:9092' }, 'any URL with credentials');
  log.child({ url: URL_WITH_PASSWORD }).info('from a child logger');

  assert.equal(lines.length, 11, 'every call wrote a line');
  const all = lines.join('');
  for (const secret of [
    PASSWORD,
    encodeURIComponent(PASSWORD),
    JSON.stringify(PASSWORD).slice(1, -1),
    'abc.def.ghi',
    'sid=123',
    'dXNlcjpwYXNz',
    'hunter2',
    'sekrit',
  ]) {
    assert.ok(!all.includes(secret), `a line contains ${secret}:\n${all}`);
  }
  // What is not secret stays readable: the host, the user and the messages.
  assert.match(all, /db\.internal:5432/);
  assert.match(all, /music:\*\*\*@db\.internal/);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
});

test('a short password that is also a word is masked where it is a credential, never in the words', () => {
  const lines: string[] = [];
  const log = createLogger('test', 'trace', {
    secrets: secretsOf({ DATABASE_URL: 'postgres://music:music@127.0.0.1:5432/music' }),
    destination: { write: (line: string) => void lines.push(line) },
  });
  log.info({ topic: 'music.albums', group: 'music-albums' }, 'consuming');
  log.info('select * from "music"."albums"');
  log.error({ err: new Error('no route to postgres://music:music@127.0.0.1:5432/music') }, 'down');
  log.info({ password: 'music' }, 'a field named password');

  const all = lines.join('');
  assert.match(all, /"topic":"music\.albums","group":"music-albums"/);
  assert.match(all, /from \\"music\\"\.\\"albums\\"/);
  assert.match(all, /postgres:\/\/music:\*\*\*@127\.0\.0\.1:5432\/music/);
  assert.doesNotMatch(all, /music:music@/);
  assert.match(all, /"password":"\*\*\*"/);
});

test('logged header values are clipped, and credentials in them still masked', () => {
  const { log, lines } = capture();
  log.info({ headers: { 'user-agent': 'u'.repeat(10_000), authorization: 'Bearer x' } }, 'h');
  const line = lines.join('');
  assert.ok(line.length < 1024, `${line.length} bytes`);
  assert.match(line, /u{256}… \(10000 characters\)/);
  assert.doesNotMatch(line, /Bearer/);
});
