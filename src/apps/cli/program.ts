import { readFileSync } from 'node:fs';
import { Argument, Command, Option } from 'commander';
import { type Config, loadConfig, secretsOf } from '../../shared/config.ts';
import { withLocalKafkaLogin } from '../../shared/local-kafka-login.ts';
import { createLogger, type Logger } from '../../shared/logger.ts';
import { consumeCommand } from './commands/consume.ts';
import { dbCommand } from './commands/db.ts';
import { dlqCommand } from './commands/dlq.ts';
import { grpcCommand } from './commands/grpc.ts';
import { kafkaCommand } from './commands/kafka.ts';
import { restCommand } from './commands/rest.ts';
import { statusCommand } from './commands/status.ts';
import { completionScript, SHELLS, type Shell } from './completion.ts';
import type { CliContext } from './context.ts';
import { type EndpointFlags, endpointOptions, withFlags } from './endpoint-flags.ts';
import { createOutput, OUTPUT_FORMATS, type OutputFormat } from './output.ts';
import { startProgress } from './progress.ts';
import { tableWidth } from './table.ts';

/** The global options, as the command being run was given them. */
export interface Globals {
  output: OutputFormat;
  verbose: boolean;
  endpoints: EndpointFlags;
}

/**
 * The version of music-service: read from the package.json beside src/ (not imported, so that
 * src/ depends on no file outside it).
 */
function version(): string {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}

/** The global options before the command line is read. */
export const defaultGlobals = (): Globals => ({ output: 'table', verbose: false, endpoints: {} });

/** The global options as Commander parses them. */
interface GlobalOptions extends EndpointFlags {
  readonly json?: true;
  readonly output: OutputFormat;
  readonly verbose?: true;
}

/** The `music` command line, its commands wired to one context; results go to stdout. */
export function createProgram(globals: Globals): Command {
  let config: Config | undefined;
  let log: Logger | undefined;
  const ctx: CliContext = {
    config: () => {
      // The flags are laid over the environment that the one config loader reads, so that they
      // are checked, defaulted and derived (the database roles' URLs) exactly as the variables.
      config ??= withLocalKafkaLogin(loadConfig(ctx.env()));
      return config;
    },
    log: () => {
      log ??= createLogger('music', globals.verbose ? ctx.config().LOG_LEVEL : 'silent', {
        secrets: secretsOf(ctx.config()),
        destination: process.stderr,
      });
      return log;
    },
    env: () => withFlags(process.env, globals.endpoints),
    out: createOutput(
      () => globals.output,
      () => tableWidth(process.stdout),
      process.stdout,
    ),
    progress: (total, unit) => startProgress(total, unit),
  };

  const program = new Command('music')
    .description('music-service: the album catalogue on Kafka and PostgreSQL')
    .version(version(), '-V, --version', 'print the version of music-service')
    .addOption(
      new Option('--output <format>', 'print results as a table, JSON or CSV (RFC 4180)')
        .choices(OUTPUT_FORMATS)
        .default('table'),
    )
    .addOption(
      new Option('--json', 'print results as JSON, for scripts (--output json)').conflicts(
        'output',
      ),
    )
    .option('--verbose', 'log to stderr and print what caused a failure');
  for (const option of endpointOptions()) program.addOption(option);
  program
    .hook('preAction', (_program, action) => {
      const { json, output, verbose, ...endpoints } = action.optsWithGlobals<GlobalOptions>();
      globals.output = json === true ? 'json' : output;
      globals.verbose = verbose === true;
      globals.endpoints = endpoints;
    })
    .addCommand(restCommand(ctx))
    .addCommand(grpcCommand(ctx))
    .addCommand(kafkaCommand(ctx))
    .addCommand(dbCommand(ctx))
    .addCommand(dlqCommand(ctx))
    .addCommand(consumeCommand(ctx))
    .addCommand(statusCommand(ctx))
    .addCommand(
      new Command('completion')
        .description('print a shell completion script: source <(music completion bash)')
        .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
        .action((shell: Shell) => {
          process.stdout.write(completionScript(program, shell));
        }),
    );
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
