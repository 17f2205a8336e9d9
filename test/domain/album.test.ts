import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  albumRecordProblem,
  albumRuleProblems,
  isAlbumId,
  textProblem,
} from '../../src/domain/album.ts';

test('text is counted in characters, as the REST schema and PostgreSQL count it', () => {
  assert.equal(textProblem('💿'.repeat(200)), null, '200 characters of 2 UTF-16 units each');
  assert.match(textProblem('💿'.repeat(201)) ?? '', /at most 200 characters/);
  assert.equal(textProblem('x'.repeat(200)), null);
  assert.match(textProblem('') ?? '', /empty/);
});

test('text with NUL or an unpaired surrogate is refused', () => {
  assert.match(textProblem('a\u0000b') ?? '', /NUL/);
  assert.match(textProblem('a\ud800b') ?? '', /valid Unicode/);
  assert.match(textProblem('\udc00') ?? '', /valid Unicode/);
  assert.equal(textProblem('a\u0001\t\u00a0b'), null, 'other control characters are text');
});

test('albumRuleProblems names every field that breaks a rule the schema does not state', () => {
  assert.deepEqual(albumRuleProblems({ title: 'T', artist: 'A' }), []);
  assert.deepEqual(albumRuleProblems({ id: -7, title: 'T', artist: 'A' }), []);
  assert.deepEqual(albumRuleProblems({ id: 0, title: 'a\u0000', artist: '\ud800' }), [
    { field: 'id', detail: 'must not be 0; leave the id out to have one allocated' },
    { field: 'title', detail: 'must not contain NUL characters' },
    { field: 'artist', detail: 'must be valid Unicode text' },
  ]);
});

test('an album id is any int32 but 0, as the original took them', () => {
  for (const id of [1, -1, 42, -(2 ** 31), 2 ** 31 - 1]) assert.ok(isAlbumId(id), String(id));
  for (const id of [0, -0, 2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN]) {
    assert.ok(!isAlbumId(id), String(id));
  }
});

test('records from any producer meet the same rules', () => {
  const ok = { id: 1, title: 'T', artist: 'A', priceCents: 0n };
  assert.equal(albumRecordProblem(ok), null);
  assert.equal(albumRecordProblem({ ...ok, title: '💿'.repeat(200) }), null);
  assert.equal(albumRecordProblem({ ...ok, id: -(2 ** 31) }), null);
  const cases: [Partial<typeof ok>, RegExp][] = [
    [{ id: 0 }, /^id:/],
    [{ id: 2 ** 31 }, /^id:/],
    [{ id: -(2 ** 31) - 1 }, /^id:/],
    [{ title: 'x\u0000' }, /^title: must not contain NUL/],
    [{ artist: '💿'.repeat(201) }, /^artist: must be at most 200/],
    [{ priceCents: -1n }, /^price:/],
    [{ priceCents: 10_000_000_000n }, /^price:/],
  ];
  for (const [change, reason] of cases) {
    assert.match(
      albumRecordProblem({ ...ok, ...change }) ?? 'null',
      reason,
      JSON.stringify(String(Object.values(change))),
    );
  }
});
