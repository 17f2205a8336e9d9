// A service process in miniature for process.test.ts: shutdown steps that say when they ran (one
// of them failing), a start-up that fails when FIXTURE_FAIL is set, a warning with FIXTURE_WARN,
// and an uncaught exception after start-up with FIXTURE_THROW.
import { writeSync } from 'node:fs';
import { runProcess } from '../../src/shared/process.ts';

await runProcess('fixture', async ({ onShutdown, signal }) => {
  const say = (step: string) => () => void writeSync(1, `step ${step} aborted=${signal.aborted}\n`);
  onShutdown(say('first'));
  onShutdown(() => {
    throw new Error('this step fails on purpose');
  });
  onShutdown(say('second'));
  if (process.env.FIXTURE_WARN === '1')
    process.emitWarning('a warning on purpose', 'FixtureWarning');
  if (process.env.FIXTURE_FAIL === '1') throw new Error('start-up fails on purpose');
  onShutdown(say('third'));
  if (process.env.FIXTURE_THROW === '1')
    setTimeout(() => {
      throw new Error('thrown on purpose');
    }, 50);
});
