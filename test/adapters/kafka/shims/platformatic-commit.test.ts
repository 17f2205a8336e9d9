// The shim around @platformatic/kafka's commit retry: what it does, and that the pinned library
// still does what it relies on (read from the library's own class source, no broker needed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CommitOptions, Consumer } from '@platformatic/kafka';
import { prunableCommits } from '../../../../src/adapters/kafka/shims/platformatic-commit.ts';

const classSource = String(Consumer).replace(/\s+/g, ' ');

/** One method's source in the Consumer class, whitespace collapsed, up to its closing brace. */
function methodSource(signature: string): string {
  const start = classSource.indexOf(` ${signature} {`);
  assert.ok(start >= 0, `@platformatic/kafka's Consumer no longer has "${signature}"`);
  let depth = 0;
  for (let i = start + signature.length + 1; i < classSource.length; i++) {
    if (classSource[i] === '{') depth++;
    else if (classSource[i] === '}' && --depth === 0) return classSource.slice(start, i + 1);
  }
  return classSource.slice(start);
}

test('the library retries a commit after rejoining, from the same offsets array', () => {
  const commit = methodSource('commit(options, callback)');
  assert.match(
    commit,
    /traceCallback\(this\.#commit, 1, .*, this, options, callback\)/,
    'commit() hands the caller’s options object to #commit',
  );
  const retry = methodSource('#commit(options, callback, rejoinAttempts = 0)');
  assert.match(
    retry,
    /#performGroupOperation\('commit', \(connection, groupCallback\) => \{ const topics = new Map\(\); for \(const \{ topic, partition, offset, leaderEpoch \} of options\.offsets\)/,
    'each attempt builds its request from options.offsets',
  );
  assert.match(
    retry,
    /this\.joinGroup\(\{\}, joinError => \{ .* this\.#commit\(options, callback, rejoinAttempts \+ 1\);/,
    'a retry after a rejoin re-reads the same options',
  );
});

test('the library announces a join with consumer:group:join before its callback', () => {
  const sync = methodSource('#completeClassicSyncGroup(options, assignments, callback)');
  const emitted = sync.indexOf("this.emitWithDebug('consumer', 'group:join', {");
  assert.ok(emitted >= 0, 'the join event is emitted when the group sync completes');
  assert.ok(sync.indexOf('callback(null, this.memberId)', emitted) > emitted, 'then the callback');
});

test('keepOnly() prunes, in place, the very array the commit in flight handed the library', async () => {
  let given: CommitOptions | null = null;
  let finish: () => void = () => {};
  const commits = prunableCommits(
    {
      commit(options) {
        given = options;
        return new Promise<void>((resolve) => {
          finish = resolve;
        });
      },
    },
    'albums',
  );
  const done = commits.commit(
    new Map([
      [0, 5n],
      [1, 7n],
      [2, 9n],
    ]),
  );
  const asked = (given as CommitOptions | null)?.offsets;
  assert.deepEqual(asked, [
    { topic: 'albums', partition: 0, offset: 5n, leaderEpoch: -1 },
    { topic: 'albums', partition: 1, offset: 7n, leaderEpoch: -1 },
    { topic: 'albums', partition: 2, offset: 9n, leaderEpoch: -1 },
  ]);
  commits.keepOnly(new Set([0, 2, 3]));
  assert.deepEqual(
    asked?.map((x) => x.partition),
    [0, 2],
  );
  finish();
  await done;
  commits.keepOnly(new Set());
  assert.equal(asked?.length, 2, 'a settled commit is left alone');
});

test('a failed commit rejects', async () => {
  const commits = prunableCommits(
    { commit: () => Promise.reject(new Error('REBALANCE_IN_PROGRESS')) },
    'albums',
  );
  await assert.rejects(commits.commit(new Map([[0, 1n]])), /REBALANCE_IN_PROGRESS/);
});
