import { runProcess } from '../../shared/process.ts';
import { createRestRuntime } from './runtime.ts';

/** The REST API process: the runtime's parts, closed in reverse on shutdown. */
await runProcess('rest', async ({ config, log, onShutdown }) => {
  const rest = await createRestRuntime(config, { log });
  onShutdown(() => rest.close());
});
