// `npm run bench`: see bench/main.ts. `-- --quick` for a run within 3 minutes.
import { runBench } from '../bench/main.ts';

try {
  process.exit(await runBench(process.argv.slice(2)));
} catch (err) {
  process.stderr.write(`music: bench: ${(err as Error).message}\n`);
  process.exit(1);
}
