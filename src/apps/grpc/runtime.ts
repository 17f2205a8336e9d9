import { once } from 'node:events';
import type http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startOrUndo } from '../../shared/closer.ts';
import type { Config } from '../../shared/config.ts';
import { type RuntimeOverrides, runtimeLog, runtimeSql } from '../runtime-parts.ts';
import { gracefulClose } from './graceful-close.ts';
import { createGrpcServer } from './server.ts';

/** How long streams in flight may finish at shutdown before their sessions are destroyed. */
const CLOSE_GRACE_MS = 5000;

/** What a test may change: see RuntimeOverrides; GRPC_PORT 0 takes any free port. */
export interface GrpcOverrides extends RuntimeOverrides {
  /** Milliseconds streams in flight get at close; 0 ends every session at once. */
  readonly closeGraceMs?: number;
}

/** The gRPC API, started. */
export interface GrpcRuntime {
  readonly server: http2.Http2Server;
  /** Where it listens (the port the system chose when GRPC_PORT was 0). */
  readonly address: { readonly host: string; readonly port: number };
  /** Closes the server gracefully (see gracefulClose), then the database. */
  close(): Promise<void>;
}

/** The gRPC API's composition root. */
export function createGrpcRuntime(config: Config, o: GrpcOverrides = {}): Promise<GrpcRuntime> {
  const log = runtimeLog(config, 'grpc', o);
  return startOrUndo(async (parts) => {
    // Only reads: as the reader, which may SELECT albums and nothing else.
    const sql = runtimeSql(parts, o, {
      url: config.DATABASE_READ_URL,
      max: config.DB_POOL_MAX,
      applicationName: 'music-grpc',
    });
    const server = createGrpcServer(sql, log);
    const closeServer = gracefulClose(server);
    server.listen(config.GRPC_PORT, config.GRPC_HOST);
    await once(server, 'listening');
    parts.defer(() => closeServer(o.closeGraceMs ?? CLOSE_GRACE_MS));
    const { port } = server.address() as AddressInfo;
    log.info({ host: config.GRPC_HOST, port }, 'gRPC API listening');
    return { server, address: { host: config.GRPC_HOST, port }, close: () => parts.close() };
  });
}
