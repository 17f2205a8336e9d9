import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cooperativeStickyAssigner } from '@platformatic/kafka';
import { patchDependencies } from '../../infra/patch-dependencies.mjs';

const root = join(import.meta.dirname, '..', '..');
const platformaticFile = (file: string) =>
  readFileSync(
    join(root, 'node_modules', '@platformatic', 'kafka', 'dist', 'clients', file),
    'utf8',
  );

test('the installed postgres driver flushes nothing to a closed socket (patched after npm ci)', () => {
  // The bootstrap patched it before this run: running again changes nothing.
  assert.deepEqual(patchDependencies(), []);
  for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
    const text = readFileSync(join(root, 'node_modules', 'postgres', file), 'utf8');
    const nextWrite = text.slice(text.indexOf('function nextWrite('));
    assert.match(
      nextWrite.split('\n').slice(0, 3).join('\n'),
      /if \(socket === null\)/,
      `${file}: nextWrite checks the socket before writing`,
    );
    const closed = text.slice(text.indexOf('async function closed('));
    assert.match(closed.split('\n').slice(0, 8).join('\n'), /chunk = nextWriteTimer = null/);
  }
});

test('the installed @platformatic/kafka producer sends each partition to its own leader at each attempt', () => {
  const text = platformaticFile('producer/producer.js');
  const send = text.slice(text.indexOf('#performSingleDestinationSend(topics, messages'));
  const attempt = send.slice(0, send.indexOf('#isProducerStateLost('));
  assert.match(attempt, /const byLeader = new Map\(\);/, 'records grouped by leader per attempt');
  assert.ok(
    attempt.indexOf('byLeader') < attempt.indexOf('const leader = metadata'),
    'grouped before the single-leader request',
  );
  assert.equal(
    attempt.match(/\|\| !!findErrorBy\(error, 'hasStaleMetadata', true\)/g)?.length,
    2,
    'a refusal for stale metadata refreshes it before the next attempt, on both paths',
  );
});

test('the installed @platformatic/kafka consumer retries a commit refused for a generation it already left, without rejoining', () => {
  const text = platformaticFile('consumer/consumer.js');
  const commit = text.slice(text.indexOf('#commit(options, callback, rejoinAttempts = 0)'));
  const body = commit.slice(0, commit.indexOf('#listOffsets('));
  const retry = body.indexOf('sentGeneration !== current');
  assert.ok(retry > 0, 'the refused generation is compared with the current one');
  assert.ok(
    retry < body.indexOf('this.#getRejoinError(error)'),
    'before the refusal is taken as the member’s own (which forgets its partitions and rejoins)',
  );
  assert.match(body, /sentGeneration = this\.#useConsumerGroupProtocol/);
  assert.match(
    body,
    /if \(joining\(\) && Date\.now\(\) < giveUpAt\)/,
    'a join under way is waited for',
  );
});

test('the installed @platformatic/kafka cooperative assignor spreads six partitions over four members as 2, 2, 1, 1, in two rounds', () => {
  const topic = 'albums';
  const metadata = { topics: new Map([[topic, { partitionsCount: 6 }]]) };
  type Owned = Record<string, number[]>;
  // One rebalance round as the leader runs it: each member says what it owns and its generation.
  const round = (owned: Owned, generationId: number): Owned => {
    const members = new Map(
      Object.entries(owned).map(([id, partitions]) => [
        id,
        {
          topics: [topic],
          ownedPartitions: partitions.length > 0 ? [{ topic, partitions }] : [],
          generationId,
        },
      ]),
    );
    const result = cooperativeStickyAssigner(
      'leader',
      members as unknown as Parameters<typeof cooperativeStickyAssigner>[1],
      new Set([topic]),
      metadata as unknown as Parameters<typeof cooperativeStickyAssigner>[3],
    );
    return Object.fromEntries(
      result.map((m) => [m.memberId, m.assignments.get(topic)?.partitions ?? []]),
    );
  };
  const sizes = (owned: Owned) => Object.values(owned).map((p) => p.length);
  const all = (owned: Owned) => Object.values(owned).flat().sort();

  // A member comes back to three that share the six partitions.
  const first = round({ a: [0, 1], b: [2, 3], c: [4, 5], d: [] }, 7);
  assert.deepEqual(first.d, [], 'a partition moves in two rounds: nothing is given in the first');
  assert.equal(all(first).length, 5, 'one partition is revoked for the newcomer');
  const second = round(first, 8);
  assert.deepEqual(all(second), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(sizes(second).sort(), [1, 1, 2, 2], JSON.stringify(second));
  assert.equal(second.d?.length, 1, 'the member that came back reads a partition');
  // Settled: a further round moves nothing.
  assert.deepEqual(round(second, 9), second);
  // One member holding three while the others hold one each gives one up.
  assert.deepEqual(sizes(round({ a: [0, 1, 2], b: [3], c: [4], d: [5] }, 3)), [2, 1, 1, 1]);
});

test('the installed @platformatic/kafka cooperative assignor ends for members of different topics', () => {
  // Five members, two topics, some members on one topic only: the unpatched balancing loop passed
  // one partition back and forth here for good. A child process, so that a hang fails the test.
  const group = {
    topics: [
      ['t0', { partitionsCount: 6 }],
      ['t1', { partitionsCount: 8 }],
    ],
    members: [
      ['m0', { topics: ['t0', 't1'], owned: { t0: [4, 5], t1: [0, 1, 2, 4, 5, 6] } }],
      ['m1', { topics: ['t0'], owned: { t0: [0, 3] } }],
      ['m2', { topics: ['t0', 't1'], owned: { t0: [2] } }],
      ['m3', { topics: ['t0'], owned: {} }],
      ['m4', { topics: ['t0'], owned: {} }],
    ],
  };
  const script = `
    import { cooperativeStickyAssigner } from '@platformatic/kafka';
    const group = ${JSON.stringify(group)};
    const members = new Map(group.members.map(([id, m]) => [id, {
      topics: m.topics,
      ownedPartitions: Object.entries(m.owned).map(([topic, partitions]) => ({ topic, partitions })),
      generationId: 1,
    }]));
    const result = cooperativeStickyAssigner('leader', members, new Set(['t0', 't1']), { topics: new Map(group.topics) });
    console.log(JSON.stringify(result.flatMap((m) => [...m.assignments.values()].flatMap((a) => a.partitions.map((p) => a.topic + ':' + p)))));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(run.signal, null, 'the assignor returned (the child was not killed for a hang)');
  assert.equal(run.status, 0, run.stderr);
  const placed: string[] = JSON.parse(run.stdout);
  assert.equal(new Set(placed).size, placed.length, `a partition placed twice: ${run.stdout}`);
});
