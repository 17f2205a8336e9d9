// The options of every command: --version, the output format, the endpoint flags, completion.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { assertFailure, music, root } from './support.ts';

const node = join(root, 'node_modules', '.bin', 'node');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};

test('--version prints the version of package.json', async () => {
  const run = await music(['--version']);
  assert.deepEqual(run, { code: 0, stdout: `${version}\n`, stderr: '' });
});

test('the endpoint flags override their variables for the run', async () => {
  // Nothing listens on port 2: the error names the address the flag gave.
  const env = { REST_HOST: '127.0.0.2', REST_PORT: '3999', GRPC_HOST: '127.0.0.2' };
  assertFailure(
    await music(['rest', 'list', '--rest-url', 'http://127.0.0.1:2'], env),
    4,
    /^music: cannot reach the REST API at http:\/\/127\.0\.0\.1:2 \(ECONNREFUSED\)$/,
  );
  assertFailure(
    await music(['grpc', 'get', '1', '--grpc-url', 'http://127.0.0.1:2'], env),
    4,
    /^music: cannot reach the gRPC API at http:\/\/127\.0\.0\.1:2 /,
  );
  assertFailure(
    await music(['db', 'get', '1', '--database-url', 'postgres://u:secret@127.0.0.1:2/db'], {
      DATABASE_READ_URL: 'postgres://other@127.0.0.2:5432/elsewhere',
    }),
    4,
    /^music: cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:2\/db /,
  );
  assertFailure(
    await music(['rest', 'list', '--rest-url', 'https://example.com/api']),
    2,
    /^music: option '--rest-url <url>' argument 'https:\/\/example\.com\/api' is invalid\. must be http:\/\/host:port /,
  );
});

test('--output json|csv|table, --json as --output json, not both', async () => {
  assertFailure(
    await music(['--json', '--output', 'csv', 'db', 'list']),
    2,
    /^music: option '--json' cannot be used with option '--output <format>'/,
  );
  assertFailure(
    await music(['--output', 'xml', 'db', 'list']),
    2,
    /^music: option '--output <format>' argument 'xml' is invalid/,
  );
});

test('--sort: only what the service can sort by, said in the help', async () => {
  const help = await music(['grpc', 'list', '--help']);
  assert.match(
    help.stdout.replace(/\s+/g, ' '),
    /--sort <fields> order: id \(the only order supported now\)/,
  );
  const restHelp = await music(['rest', 'list', '--help']);
  assert.match(
    restHelp.stdout.replace(/\s+/g, ' '),
    /--sort <fields> order: fields from id, title, artist, price .*; the REST API sorts the whole catalogue, ties by id/,
  );
  assertFailure(
    await music(['grpc', 'list', '--sort', '-price']),
    2,
    /^music: option '--sort <fields>' argument '-price' is invalid\. must be id /,
  );
  assertFailure(
    await music(['db', 'list', '--sort', 'price,-price']),
    2,
    /must name each field once/,
  );
});

test('music completion bash: loads in bash and completes commands, options and choices', async () => {
  const bin = join(root, 'bin', 'music.mjs');
  const script = `
    source <("${node}" "${bin}" completion bash) || exit 1
    complete -p music
    t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _music_complete; echo "\${COMPREPLY[*]}"; }
    t music d
    t music db list --so
    t music --output c
    t music kafka produce --client ""
    t music completion ""`;
  const { stdout, stderr } = await promisify(execFile)('bash', ['-c', script], { cwd: root });
  assert.equal(stderr, '');
  assert.deepEqual(stdout.split('\n'), [
    'complete -F _music_complete music',
    'db dlq',
    '--sort',
    'csv',
    'platformatic confluent',
    'bash zsh',
    '',
  ]);
});

test('music completion zsh: the same function through bashcompinit', async () => {
  const run = await music(['completion', 'zsh']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^#compdef music\n/);
  assert.match(run.stdout, /\nautoload -U \+X bashcompinit && bashcompinit\n/);
  assert.match(run.stdout, /\ncomplete -F _music_complete music\n$/);
});
