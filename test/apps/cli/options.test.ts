// Option values the CLI parses itself: album ids, prices by the one price rule, and points in
// time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { albumOptions, parseSince } from '../../../src/apps/cli/options.ts';
import { createProgram, defaultGlobals } from '../../../src/apps/cli/program.ts';

const at = Date.parse('2025-03-01T12:00:00Z');

const ID_RULE = /: must be an album id from -2147483648 to 2147483647 other than 0$/;

test('--id: any int32 but 0, negative ones included; refused otherwise', () => {
  const parse = (value: string) => albumOptions.id().parseArg?.(value, undefined);
  assert.equal(parse('42'), 42);
  assert.equal(parse('-5'), -5);
  assert.equal(parse('2147483647'), 2147483647);
  assert.equal(parse('-2147483648'), -2147483648);
  for (const bad of [
    '0',
    '-0',
    '2147483648',
    '-2147483649',
    '1.5',
    '1e3',
    '+5',
    ' 5',
    'five',
    '',
  ]) {
    assert.throws(() => parse(bad), ID_RULE, bad);
  }
  // --first-id counts up from its value, so it stays positive and never meets 0.
  const first = (value: string) => albumOptions.firstId().parseArg?.(value, undefined);
  assert.equal(first('1'), 1);
  assert.throws(() => first('-5'), /: must be an album id from 1 to 2147483647$/);
});

/** The `music` program, the action of `path` replaced by one that records what it was given. */
function programCapturing(...path: string[]) {
  const program = createProgram(defaultGlobals());
  const command = path.reduce<Command | undefined>(
    (parent, name) => parent?.commands.find((c) => c.name() === name),
    program,
  );
  assert.ok(command, path.join(' '));
  const seen: unknown[][] = [];
  command.action((...args: unknown[]) => {
    seen.push(args.slice(0, -1));
  });
  return { program, command, seen };
}

test('a negative id on the command line: --id -5, --id=-5, `db get -5` and `grpc get -5`', async () => {
  for (const args of [['--id', '-5'], ['--id=-5']]) {
    const { program, seen } = programCapturing('rest', 'put');
    await program.parseAsync(['rest', 'put', ...args, '--title', 'T'], { from: 'user' });
    assert.equal((seen[0]?.[0] as { id?: number } | undefined)?.id, -5, args.join(' '));
  }
  for (const name of ['db', 'grpc']) {
    const { program, seen } = programCapturing(name, 'get');
    await program.parseAsync([name, 'get', '-5'], { from: 'user' });
    assert.equal(seen[0]?.[0], -5, `${name} get -5`);
  }

  const { program, command } = programCapturing('rest', 'put');
  let written = '';
  command.configureOutput({
    writeErr: (text) => {
      written += text;
    },
  });
  await assert.rejects(program.parseAsync(['rest', 'put', '--id', '0'], { from: 'user' }), {
    code: 'commander.invalidArgument',
  });
  assert.match(
    written,
    /^music: option '--id <id>' argument '0' is invalid\. must be an album id from -2147483648 to 2147483647 other than 0 \(see 'music rest put --help'\)\n$/,
  );
});

test('--price: any decimal number in range, as the REST API takes it; refused otherwise', () => {
  const parse = (value: string) => albumOptions.price().parseArg?.(value, undefined);
  assert.equal(parse('12.99'), 12.99);
  assert.equal(parse('0.6782996'), 0.6782996, 'a float32 price of the original testers');
  assert.equal(parse('0'), 0);
  assert.equal(parse('99999999.99'), 99999999.99);
  for (const bad of ['-1', '1e3', 'abc', '', '100000000', '99999999.995', '.5']) {
    assert.throws(() => parse(bad), /must be a price from 0 to 99999999\.99/, bad);
  }
});

test('--since: an ISO 8601 time, or a span before now', () => {
  const now = Date.parse('2025-03-02T00:00:00Z');
  assert.equal(parseSince('2025-03-01T12:00:00Z', now), at);
  assert.equal(parseSince('2025-03-01', now), Date.parse('2025-03-01T00:00:00Z'));
  assert.equal(parseSince('2h', now), now - 7_200_000);
  assert.equal(parseSince('7d', now), now - 7 * 86_400_000);
  for (const bad of ['yesterday', '2h ago', '-5m', '2025-13-45', '']) {
    assert.throws(() => parseSince(bad, now), /ISO 8601/, bad);
  }
});
