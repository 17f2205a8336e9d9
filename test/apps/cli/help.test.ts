// Every `music` command explains itself with --help, and a wrong command line is one line on
// stderr with exit code 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertFailure, music } from './support.ts';

/** The subcommands a help text lists under "Commands:", without `help` itself. */
function subcommandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)]
    .map((m) => m[1] ?? '')
    .filter((name) => name !== 'help');
}

test('--help on every command: usage, description and the global options, exit 0', async () => {
  const seen: string[] = [];
  let level: string[][] = [[]];
  // Walks the tree through the help texts themselves, so a new command is checked too.
  while (level.length > 0) {
    const helps = await Promise.all(level.map((path) => music([...path, '--help'])));
    const next: string[][] = [];
    helps.forEach((run, i) => {
      const path = level[i] ?? [];
      const name = ['music', ...path].join(' ');
      assert.equal(run.code, 0, `${name} --help: ${run.stderr}`);
      assert.equal(run.stderr, '');
      assert.ok(run.stdout.startsWith(`Usage: ${name} `), `${name}: ${run.stdout}`);
      assert.match(run.stdout, /^ {2}--json {2,}print results as JSON/m, `${name} lists --json`);
      assert.ok((run.stdout.split('\n')[2] ?? '').length > 10, `${name} has a description`);
      seen.push(path.join(' '));
      for (const sub of subcommandsIn(run.stdout)) next.push([...path, sub]);
    });
    level = next;
  }
  assert.deepEqual(seen.toSorted(), [
    '',
    'completion',
    'consume',
    'db',
    'db delete',
    'db get',
    'db insert',
    'db list',
    'db promote',
    'dlq',
    'dlq list',
    'dlq replay',
    'grpc',
    'grpc get',
    'grpc list',
    'kafka',
    'kafka produce',
    'rest',
    'rest delete',
    'rest get',
    'rest list',
    'rest post',
    'rest put',
    'status',
  ]);
});

test('a wrong command line is one line naming the problem and the help to read, exit 2', async () => {
  const cases = [
    {
      args: ['rest', 'post', '--count', '0'],
      line: /^music: option '--count <n>' argument '0' is invalid\. must be an integer from 1 to \d+ \(see 'music rest post --help'\)$/,
    },
    {
      args: ['rest', 'post', '--cout', '3'],
      line: /^music: unknown option '--cout' \(Did you mean --count\?\) \(see 'music rest post --help'\)$/,
    },
    {
      args: ['rest', 'post', '--single', '--count', '2'],
      line: /^music: option '--single' cannot be used with option '--count <n>'/,
    },
    { args: ['rest', 'put', '--title', 'No id'], line: /^music: put --single needs --id <id>$/ },
    { args: ['rest', 'put', '--count', '2'], line: /^music: put --count needs --first-id <id>$/ },
    {
      args: ['kafka', 'produce', '--count', '2'],
      line: /^music: required option '--client <client>' not specified/,
    },
    {
      args: ['kafka', 'produce', '--client', 'sarama'],
      line: /^music: option '--client <client>' argument 'sarama' is invalid\. Allowed choices are platformatic, confluent\./,
    },
    { args: ['db', 'get', 'seven'], line: /^music: command-argument value 'seven' is invalid/ },
    {
      args: ['dlq', 'replay', '--since', 'yesterday'],
      line: /^music: option '--since <time>' argument 'yesterday' is invalid\. must be an ISO 8601 time/,
    },
  ];
  const runs = await Promise.all(cases.map((c) => music(c.args)));
  for (const [i, run] of runs.entries()) assertFailure(run, 2, cases[i]?.line ?? /never/);
});

test('an invalid setting is one line naming the variable, exit 2', async () => {
  const run = await music(['db', 'list'], { DATABASE_URL: 'mysql://localhost/music' });
  assertFailure(
    run,
    2,
    /^music: Invalid configuration: DATABASE_URL .*\(got "mysql:\/\/localhost\/music"\)$/,
  );
});
