// A run's database is dropped at its end even when a service's connection is still going away:
// the owner's DROP … WITH (FORCE) may not end another role's backend, so it waits for it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { dropScratchDatabase, onDatabase } from '../../infra/scratch.ts';
import { createSql } from '../../src/adapters/db/client.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { config, rolesSplit } from '../support/stack.ts';

const skip = rolesSplit ? false : 'one role for everything: the owner ends its own backends';

test('a scratch database is dropped once a writer still on it has left', { skip }, async (t) => {
  const defer = cleanupStack(t);
  const name = `music_scratch_${randomBytes(4).toString('hex')}`;
  const owner = createSql({
    url: config.DATABASE_MIGRATE_URL,
    max: 1,
    applicationName: 'music-test-scratch',
  });
  defer(() => owner.end({ timeout: 5 }));
  await owner`create database ${owner(name)}`;
  defer(() => owner`drop database if exists ${owner(name)} with (force)`.catch(() => {}));

  const writer = createSql({
    url: onDatabase(config.DATABASE_WRITE_URL, name),
    max: 1,
    applicationName: 'music-test-scratch',
  });
  await writer`select 1`;
  const dropping = dropScratchDatabase(config.DATABASE_MIGRATE_URL, name);
  // The writer's backend outlives the start of the drop, as a stopped service's may.
  await sleep(400);
  await writer.end({ timeout: 5 });
  await dropping;
  const left = await owner`select 1 from pg_database where datname = ${name}`;
  assert.equal(left.length, 0);
});
