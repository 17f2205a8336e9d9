import assert from 'node:assert/strict';
import { test } from 'node:test';
import { albumIdOfKey, albumKey } from '../../src/domain/album-key.ts';

test('an album key is the id in decimal, and reads back as the same id', () => {
  for (const id of [1, 42, -5, 2147483647, -2147483648]) {
    assert.equal(albumKey(id), String(id));
    assert.equal(albumIdOfKey(Buffer.from(albumKey(id))), id);
  }
});

test('only the form albumKey writes names an album', () => {
  for (const key of [
    '',
    '0',
    '-0',
    '01',
    '+1',
    '1 ',
    '1e3',
    '0x10',
    '2147483648',
    'NaN',
    'Infinity',
  ])
    assert.equal(albumIdOfKey(Buffer.from(key)), null, JSON.stringify(key));
  assert.equal(albumIdOfKey(null), null);
  assert.equal(albumIdOfKey(new Uint8Array([0xff, 0x31])), null);
});
