// PostgreSQL URLs may name several servers (`postgres://u:p@h1:5432,h2:5433/db`, as libpq and
// postgres.js take them, for a primary and its standby); WHATWG URL refuses such a host list, so
// these read and rewrite one through a URL of its first server.

/** The `host:port` entries of a database URL, in order. */
export function databaseHosts(url: string): string[] {
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1).split(',');
}

/** The URL with its host list replaced by its first server: parseable by `new URL`. */
export function firstServerUrl(url: string): URL {
  const [first = ''] = databaseHosts(url);
  return new URL(withHosts(url, [first]));
}

/** The URL with its host list replaced. */
export function withHosts(url: string, hosts: readonly string[]): string {
  const scheme = url.indexOf('://') + 3;
  const rest = url.slice(scheme);
  const authority = rest.split(/[/?#]/)[0] ?? '';
  const at = authority.lastIndexOf('@') + 1;
  return `${url.slice(0, scheme)}${authority.slice(0, at)}${hosts.join(',')}${rest.slice(authority.length)}`;
}

/**
 * The URL changed through a URL object of its first server (path, query, credentials), its host
 * list kept.
 */
export function editDatabaseUrl(url: string, edit: (first: URL) => void): string {
  const first = firstServerUrl(url);
  edit(first);
  return withHosts(first.href, databaseHosts(url));
}

/** The URL with `target_session_attrs=read-write`: it connects only to a server taking writes. */
export function writableOnly(url: string): string {
  return editDatabaseUrl(url, (first) =>
    first.searchParams.set('target_session_attrs', 'read-write'),
  );
}
