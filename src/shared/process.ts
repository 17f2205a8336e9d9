import { createCloser } from './closer.ts';
import { type Config, ConfigError, loadConfig, secretsOf } from './config.ts';
import { withLocalKafkaLogin } from './local-kafka-login.ts';
import { createLogger, type Logger } from './logger.ts';

export interface ProcessContext {
  readonly config: Config;
  readonly log: Logger;
  /** Registers a step of shutdown; steps run in reverse order of registration. */
  onShutdown(step: () => Promise<unknown> | unknown): void;
  /** Aborted when shutdown begins. */
  readonly signal: AbortSignal;
  /** Begins shutdown from inside, e.g. when a part failed for good; exits with `code`. */
  stop(reason: string, code: number): void;
}

const SHUTDOWN_GRACE_MS = 25_000;

/**
 * Owns a service process: configuration, logger, signals and an orderly shutdown. SIGINT,
 * SIGTERM, or losing the parent that spawned us (its IPC channel closes) all stop the process.
 * Once `setup` resolved, a parent with an IPC channel is sent `{ type: 'ready', name }`. Exit
 * codes: 0 after a signal, 1 when start-up or a part failed (or shutdown overran its grace), 2
 * for an invalid configuration.
 */
export async function runProcess(
  name: string,
  setup: (ctx: ProcessContext) => Promise<void>,
): Promise<void> {
  let config: Config;
  try {
    config = withLocalKafkaLogin(loadConfig(process.env, undefined, name));
  } catch (err: unknown) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(name, config.LOG_LEVEL, { secrets: secretsOf(config) });
  const steps = createCloser((err) => log.warn({ err }, 'shutdown step failed'));
  const controller = new AbortController();
  let stopping: Promise<void> | null = null;

  const shutdown = (reason: string, code = 0): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason }, 'shutting down');
      controller.abort();
      const force = setTimeout(() => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS);
      force.unref();
      await steps.close();
      log.info('stopped');
      process.exit(code);
    })();
    return stopping;
  };

  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void shutdown(sig));
  if (process.send) process.on('disconnect', () => void shutdown('parent exited'));
  // Node's warnings (deprecations, listener leaks) as JSON lines like every other line, instead
  // of the plain text its default handler writes to stderr.
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    log.warn({ err: warning }, `node warning: ${warning.message}`),
  );
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    void shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    void shutdown('unhandled rejection', 1);
  });

  try {
    await setup({
      config,
      log,
      onShutdown: (step) => steps.defer(step),
      signal: controller.signal,
      stop: (reason, code) => void shutdown(reason, code),
    });
    log.info('ready');
    process.send?.({ type: 'ready', name });
  } catch (err: unknown) {
    log.fatal({ err }, 'start-up failed');
    await shutdown('start-up failed', 1);
  }
}
