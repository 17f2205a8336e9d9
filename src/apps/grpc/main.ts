import { once } from 'node:events';
import { createSql } from '../../adapters/db/client.ts';
import { runProcess } from '../../shared/process.ts';
import { createGrpcServer } from './server.ts';

/** The gRPC API process. */
await runProcess('grpc', async ({ config, log, onShutdown }) => {
  const sql = createSql({
    url: config.DATABASE_URL,
    max: config.DB_POOL_MAX,
    applicationName: 'music-grpc',
  });
  onShutdown(() => sql.end({ timeout: 5 }));
  const server = createGrpcServer(sql, log);
  server.listen(config.GRPC_PORT, config.GRPC_HOST);
  await once(server, 'listening');
  log.info({ host: config.GRPC_HOST, port: config.GRPC_PORT }, 'gRPC API listening');
  onShutdown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Streams in flight get a moment, then their sessions are closed.
        setTimeout(() => resolve(), 5000).unref();
      }),
  );
});
