import { Command } from 'commander';
import { type Config, loadConfig, secretsOf } from '../../shared/config.ts';
import { withLocalKafkaLogin } from '../../shared/local-kafka-login.ts';
import { createLogger, type Logger } from '../../shared/logger.ts';
import { consumeCommand } from './commands/consume.ts';
import { dbCommand } from './commands/db.ts';
import { dlqCommand } from './commands/dlq.ts';
import { grpcCommand } from './commands/grpc.ts';
import { kafkaCommand } from './commands/kafka.ts';
import { restCommand } from './commands/rest.ts';
import type { CliContext } from './context.ts';
import { createOutput } from './output.ts';
import { startProgress } from './progress.ts';

/** The global options, as the command being run was given them. */
export interface Globals {
  json: boolean;
  verbose: boolean;
}

/** The `music` command line, its commands wired to one context; results go to stdout. */
export function createProgram(globals: Globals): Command {
  let config: Config | undefined;
  let log: Logger | undefined;
  const ctx: CliContext = {
    config: () => {
      config ??= withLocalKafkaLogin(loadConfig());
      return config;
    },
    log: () => {
      log ??= createLogger('music', globals.verbose ? ctx.config().LOG_LEVEL : 'silent', {
        secrets: secretsOf(ctx.config()),
        destination: process.stderr,
      });
      return log;
    },
    out: createOutput(() => globals.json, process.stdout),
    progress: (total, unit) => startProgress(total, unit),
  };

  const program = new Command('music')
    .description('music-service: the album catalogue on Kafka and PostgreSQL')
    .option('--json', 'print results as JSON, for scripts')
    .option('--verbose', 'log to stderr and print what caused a failure')
    .hook('preAction', (_program, action) => {
      const { json, verbose } = action.optsWithGlobals<{ json?: true; verbose?: true }>();
      globals.json = json === true;
      globals.verbose = verbose === true;
    })
    .addCommand(restCommand(ctx))
    .addCommand(grpcCommand(ctx))
    .addCommand(kafkaCommand(ctx))
    .addCommand(dbCommand(ctx))
    .addCommand(dlqCommand(ctx))
    .addCommand(consumeCommand());
  configure(program);
  return program;
}

const pathOf = (command: Command): string =>
  command.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name();

// On every command: help shows the global options, and a usage error is one line (Commander's
// own message, with its suggestion) pointing at that command's help; main decides the exit code.
function configure(command: Command): void {
  command
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => {
        const text = message
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim();
        write(`music: ${text} (see '${pathOf(command)} --help')\n`);
      },
    });
  for (const sub of command.commands) configure(sub);
}
