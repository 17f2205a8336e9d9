import { once } from 'node:events';
import type http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { listenAlbumGenerations } from '../../adapters/db/album-generations.ts';
import type { MetricsServer } from '../../adapters/http/metrics-server.ts';
import { createMetricsRegistry, type Registry } from '../../adapters/metrics/registry.ts';
import { Health } from '../../gen/grpc/health/v1/health_pb.js';
import { ServerReflection as ReflectionV1 } from '../../gen/grpc/reflection/v1/reflection_pb.js';
import { ServerReflection as ReflectionV1alpha } from '../../gen/grpc/reflection/v1alpha/reflection_pb.js';
import { MusicService } from '../../gen/service/music_pb.js';
import { startOrUndo } from '../../shared/closer.ts';
import type { Config } from '../../shared/config.ts';
import { startTracing, tracingOn } from '../../shared/tracing.ts';
import {
  type RuntimeOverrides,
  runtimeLog,
  runtimeMetricsServer,
  runtimeSql,
} from '../runtime-parts.ts';
import { callObserver } from './call-observer.ts';
import { callSpans } from './call-spans.ts';
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
  readonly metrics: Registry;
  /** Where Prometheus scrapes the gRPC API (METRICS_HOST and METRICS_PORT). */
  readonly metricsServer: Pick<MetricsServer, 'host' | 'port' | 'url'>;
  /** Closes the server gracefully (see gracefulClose), then the database. */
  close(): Promise<void>;
}

/** The gRPC API's composition root. */
export function createGrpcRuntime(config: Config, o: GrpcOverrides = {}): Promise<GrpcRuntime> {
  const log = runtimeLog(config, 'grpc', o);
  return startOrUndo(async (parts) => {
    // Owned first, so it closes last and exports the spans of the drain too.
    parts.own(startTracing(config, 'grpc'), (own) => own.close());
    const metrics = createMetricsRegistry();
    const metricsServer = await runtimeMetricsServer(parts, config, metrics, log);
    // Only reads: as the reader, which may SELECT albums and nothing else.
    const sql = runtimeSql(parts, o, {
      url: config.DATABASE_READ_URL,
      max: config.DB_POOL_MAX,
      applicationName: 'music-grpc',
    });
    // Kept answers last until the albums table changes: heard of on a connection of its own.
    const generations = listenAlbumGenerations(sql);
    parts.defer(() => generations.close());
    const server = createGrpcServer(sql, log, generations);
    // First among the request listeners: each call's start, whichever path then answers it.
    const services = [MusicService, Health, ReflectionV1, ReflectionV1alpha];
    server.prependListener('request', callObserver(metrics, log, services));
    if (tracingOn()) server.prependListener('request', callSpans(services));
    const closeServer = gracefulClose(server);
    server.listen(config.GRPC_PORT, config.GRPC_HOST);
    await once(server, 'listening');
    parts.defer(() => closeServer(o.closeGraceMs ?? CLOSE_GRACE_MS));
    const { port } = server.address() as AddressInfo;
    log.info({ host: config.GRPC_HOST, port }, 'gRPC API listening');
    return {
      server,
      address: { host: config.GRPC_HOST, port },
      metrics,
      metricsServer,
      close: () => parts.close(),
    };
  });
}
