// PG_STANDBY=1 as npm start provisions it (infra/postgres-standby.ts), on a private primary: the
// standby made, streaming synchronously, reused by a second start; and, once promoted, the old
// primary refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import postgres from 'postgres';
import { stopLocalPostgres } from '../../infra/postgres.ts';
import {
  ensureLocalStandby,
  promoteLocalStandby,
  refuseOldPrimary,
  releaseAbsentStandby,
  STANDBY_NAME,
  standbyDataDir,
} from '../../infra/postgres-standby.ts';
import { reservedPort } from '../../infra/reserved-ports.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { privatePostgres, removedAtCleanup } from '../support/private-infra.ts';
import { configWith } from '../support/stack.ts';

test('PG_STANDBY: a synchronous standby of the private cluster, reused, and no old primary after its promotion', {
  timeout: 180_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const pg = await privatePostgres(defer, 'pg-standby');
  removedAtCleanup(defer, standbyDataDir(pg.dataDir));
  const config = configWith({
    MUSIC_DATA_DIR: pg.dataDir,
    DATABASE_MIGRATE_URL: pg.appUrl,
    PG_STANDBY: true,
    PG_STANDBY_PORT: await reservedPort(),
  });
  const lines: string[] = [];
  const report = (l: string) => void lines.push(l);
  assert.equal(await ensureLocalStandby(config, report), true, 'made and started');
  assert.equal(await ensureLocalStandby(config, report), false, 'reused');
  assert.ok(lines.some((l) => l.includes('reusing the standby')));

  const primary = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  defer(() => primary.end({ timeout: 1 }));
  const [replication] = await primary<{ sync_state: string }[]>`
    select sync_state from pg_stat_replication where application_name = ${STANDBY_NAME}`;
  assert.equal(replication?.sync_state, 'sync');
  // The application's role may promote (npx music db promote needs no superuser).
  const app = postgres(pg.appUrl, { max: 1, onnotice: () => {} });
  defer(() => app.end({ timeout: 1 }));
  const [grant] = await app<{ ok: boolean }[]>`
    select has_function_privilege(current_user, 'pg_promote(boolean, integer)', 'execute') as ok`;
  assert.equal(grant?.ok, true);
  assert.doesNotThrow(() => refuseOldPrimary(config));

  // Stopped, the standby no longer holds the primary's commits once provisioning looks again;
  // while it streams, provisioning leaves it alone.
  const setting = async () =>
    (await primary<{ s: string }[]>`select current_setting('synchronous_standby_names') as s`)[0]
      ?.s;
  await releaseAbsentStandby(pg.adminUrl, report);
  assert.equal(await setting(), STANDBY_NAME);
  stopLocalPostgres(standbyDataDir(pg.dataDir));
  await releaseAbsentStandby(pg.adminUrl, report);
  assert.equal(await setting(), '');
  assert.equal(await ensureLocalStandby(config, report), true, 'started again, synchronous again');
  assert.equal(await setting(), STANDBY_NAME);

  promoteLocalStandby(standbyDataDir(pg.dataDir));
  assert.throws(() => refuseOldPrimary(config), /was promoted: it is the primary now/);
});
