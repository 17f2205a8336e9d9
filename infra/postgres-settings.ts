// The private cluster's own settings (postgresql.auto.conf, written when initdb creates it), and
// the upgrade of settings that earlier versions wrote and later measurements replaced.

export const CLUSTER_SETTINGS: readonly string[] = [
  // Loopback only; no Unix socket, so nothing collides with a system cluster's socket.
  "listen_addresses = '127.0.0.1'",
  "unix_socket_directories = ''",
  'max_connections = 200',
  'shared_buffers = 256MB',
  // lz4, not pglz ("on"): after a checkpoint nearly every upsert into a grown catalogue writes a
  // full page image of an index page (price and artist keys land all over their indexes), and
  // pglz compressing them cost 30 µs of backend CPU per row against 13–19 with lz4 or none
  // (docs/benchmarks.md). lz4 still shrinks the WAL (Debian's server is built with it).
  'wal_compression = lz4',
  'max_wal_size = 2GB',
];

/** Lines this project wrote before, as it wrote them, and what replaces each. */
const REPLACED: ReadonlyMap<string, string> = new Map([
  ['wal_compression = on', 'wal_compression = lz4'],
]);

/**
 * The cluster's settings file with the project's own former defaults replaced. Only lines as the
 * project wrote them change: ALTER SYSTEM quotes its values, so an operator's choice stays.
 */
export function upgradedSettings(conf: string): string {
  return conf
    .split('\n')
    .map((line) => REPLACED.get(line.trim()) ?? line)
    .join('\n');
}
