// Failover by hand: the servers of a database URL (a primary and its standby, h1:5432,h2:5433)
// are looked at one by one, and a standby is promoted only when no primary answers, so that
// promoting never makes two primaries out of one that is merely slow.

import { databaseHosts, editDatabaseUrl, withHosts } from '../../shared/database-url.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { createSql } from './client.ts';

const INSUFFICIENT_PRIVILEGE = '42501';

export type ServerRole = 'primary' | 'standby' | 'down';

export interface Promotion {
  /** What each server of the URL was before anything was done. */
  readonly servers: readonly { readonly server: string; readonly role: ServerRole }[];
  /** The server promoted, or null when a primary already answered. */
  readonly promoted: string | null;
  /** The server that takes writes now. */
  readonly primary: string;
}

/** The URL of one server of a list, with no target_session_attrs: it connects there or fails. */
function serverUrl(url: string, server: string): string {
  const plain = editDatabaseUrl(url, (u) => {
    u.searchParams.delete('target_session_attrs');
  });
  return withHosts(plain, [server]);
}

async function roleOf(url: string): Promise<ServerRole> {
  const sql = createSql({ url, max: 1, applicationName: 'music-promote', connectTimeoutS: 5 });
  try {
    const [row] = await sql<{ standby: boolean }[]>`select pg_is_in_recovery() as standby`;
    return row?.standby ? 'standby' : 'primary';
  } catch {
    return 'down';
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Promotes the first standby of the URL's servers (pg_promote, waiting up to `waitSeconds` for it
 * to take writes) when none of them is a primary. A primary that answers makes this a no-op, or a
 * Conflict while a standby also answers unless `force`: the old primary must be stopped (fenced)
 * first. The role of the URL needs EXECUTE on pg_promote (superusers have it; provisioning grants
 * it to the owner).
 */
export async function promoteStandby(
  url: string,
  o: { readonly force?: boolean; readonly waitSeconds?: number } = {},
): Promise<Promotion> {
  const hosts = databaseHosts(url);
  const servers = await Promise.all(
    hosts.map(async (server) => ({ server, role: await roleOf(serverUrl(url, server)) })),
  );
  const primary = servers.find((s) => s.role === 'primary');
  const standby = servers.find((s) => s.role === 'standby');
  if (primary !== undefined && (standby === undefined || !o.force)) {
    if (standby !== undefined)
      throw new AppError(
        ErrorCode.Conflict,
        `the primary at ${primary.server} still answers: stop it before promoting ${standby.server} (or --force)`,
      );
    return { servers, promoted: null, primary: primary.server };
  }
  if (standby === undefined)
    throw new AppError(
      ErrorCode.Unavailable,
      `no server of ${hosts.join(',')} answers as a standby: nothing to promote`,
    );
  const sql = createSql({
    url: serverUrl(url, standby.server),
    max: 1,
    applicationName: 'music-promote',
  });
  try {
    const [row] = await sql<{ promoted: boolean }[]>`
      select pg_promote(true, ${o.waitSeconds ?? 60}) as promoted`.catch((err: unknown) => {
      if ((err as { code?: string }).code !== INSUFFICIENT_PRIVILEGE) throw err;
      throw new AppError(
        ErrorCode.Unprocessable,
        `this role may not promote: grant execute on function pg_promote(boolean, integer) to it, or use a superuser's URL`,
      );
    });
    if (!row?.promoted)
      throw new AppError(
        ErrorCode.Unavailable,
        `${standby.server} did not finish its promotion in ${o.waitSeconds ?? 60} s`,
      );
  } finally {
    await sql.end({ timeout: 1 });
  }
  return { servers, promoted: standby.server, primary: standby.server };
}
