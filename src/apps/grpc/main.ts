import { runProcess } from '../../shared/process.ts';
import { createGrpcRuntime } from './runtime.ts';

/** The gRPC API process: on shutdown, streams in flight get 5 s, then their sessions end. */
await runProcess('grpc', async ({ config, log, onShutdown }) => {
  const grpc = await createGrpcRuntime(config, { log });
  onShutdown(() => grpc.close());
});
