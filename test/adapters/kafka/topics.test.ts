import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Admin, UserError } from '@platformatic/kafka';
import { waitForLeaders } from '../../../src/adapters/kafka/topics.ts';

type Metadata = Awaited<ReturnType<Admin['metadata']>>;

/** Metadata answers in turn: an error to throw, or the leaders of topic `t`'s partitions. */
function admin(answers: readonly (Error | readonly number[])[]) {
  let calls = 0;
  const metadata = async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    const partitions = (answer ?? []).map((leader) => ({ leader }));
    return { topics: new Map([['t', { partitions }]]) } as unknown as Metadata;
  };
  return { admin: { metadata } as unknown as Pick<Admin, 'metadata'>, calls: () => calls };
}

test('a topic the broker does not know yet, then without leaders, is waited for', async () => {
  // What a loaded broker answers right after CreateTopics: unknown, then leaderless, then ready.
  const unknown = new UserError('Unknown topic t.');
  const a = admin([unknown, unknown, [-1, 0], [0, 0]]);
  await waitForLeaders(a.admin, ['t'], 10_000);
  assert.equal(a.calls(), 4);
});

test('any other metadata error ends the wait at once, and so does the deadline', async () => {
  const a = admin([new Error('connection refused')]);
  await assert.rejects(waitForLeaders(a.admin, ['t'], 10_000), /connection refused/);
  assert.equal(a.calls(), 1);
  const never = admin([new UserError('Unknown topic t.')]);
  await assert.rejects(waitForLeaders(never.admin, ['t'], 300), /Unknown topic t/);
});
