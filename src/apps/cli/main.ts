import { exitQuietlyOnClosedPipe } from './closed-pipe.ts';
import { describeFailure } from './failure.ts';
import { createProgram, defaultGlobals } from './program.ts';

// The `music` command line: its one composition root. Every command reads the configuration
// of the services; results go to stdout, everything else to stderr.
const globals = defaultGlobals();
exitQuietlyOnClosedPipe(process.stdout);

try {
  await createProgram(globals).parseAsync();
} catch (err: unknown) {
  const failure = describeFailure(err);
  if (failure.line) process.stderr.write(`music: ${failure.line}\n`);
  if (globals.verbose)
    for (const cause of failure.causes) process.stderr.write(`  cause: ${cause}\n`);
  process.exitCode = failure.exitCode;
}
