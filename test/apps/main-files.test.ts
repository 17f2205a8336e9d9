// Each service's main.ts only owns its process and starts the runtime that the integration tests
// start too, so what the tests run cannot drift from what runs in production.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const APPS = join(import.meta.dirname, '..', '..', 'src', 'apps');

for (const [app, runtime] of [
  ['rest', 'createRestRuntime'],
  ['grpc', 'createGrpcRuntime'],
  ['consumer', 'createConsumerRuntime'],
] as const) {
  test(`${app}/main.ts runs the process through runProcess and starts ${runtime}`, () => {
    const text = readFileSync(join(APPS, app, 'main.ts'), 'utf8');
    const lines = text.split('\n').length - 1;
    assert.ok(lines < 40, `${lines} lines`);
    assert.match(text, new RegExp(`^import \\{ ${runtime} \\} from '\\./runtime\\.ts';$`, 'm'));
    assert.match(text, /^import \{ runProcess \} from '\.\.\/\.\.\/shared\/process\.ts';$/m);
    assert.match(text, /runProcess\(/);
    assert.match(text, new RegExp(`await ${runtime}\\(config, `));
    // Nothing else is created there: no adapter is imported.
    assert.doesNotMatch(text, /from '\.\.\/\.\.\/adapters\/(?!kafka\/types\.ts)/);
  });
}
