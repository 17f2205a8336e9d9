import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlbumLimits } from '../../src/domain/album.ts';
import {
  artistFilter,
  decodeCursor,
  encodeCursor,
  isPageSize,
  PageSize,
  pageOf,
  refuseNul,
  rowsForPage,
} from '../../src/domain/listing.ts';
import { AppError, ErrorCode } from '../../src/shared/errors.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const jsonCursor = (value: unknown) => b64(JSON.stringify(value));
const rest = { name: 'cursor', acceptJson: true } as const;
const grpc = { name: 'page_token' } as const;

/** Asserts that `run` throws the one INVALID_ARGUMENT error, with `message` and its fields. */
function assertInvalid(run: () => unknown, message: string, pointers: string[]): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, ErrorCode.InvalidArgument);
    assert.equal(err.message, message);
    assert.deepEqual(
      err.fields.map((f) => f.pointer),
      pointers,
    );
    return true;
  });
}

test('page sizes run from 1 to the maximum, 50 by default', () => {
  assert.deepEqual(PageSize, { default: 50, max: 500 });
  for (const size of [1, 50, 500]) assert.equal(isPageSize(size), true, String(size));
  for (const size of [0, -1, 501, 2.5, Number.NaN])
    assert.equal(isPageSize(size), false, String(size));
});

test('pageOf: one row more than the page means another page follows, after the last id', () => {
  const rows = [{ id: 3 }, { id: 7 }, { id: 9 }];
  assert.equal(rowsForPage(2), 3);
  const full = pageOf(rows, 2);
  assert.deepEqual(full.items, [{ id: 3 }, { id: 7 }]);
  assert.equal(full.next, encodeCursor(7));
  assert.equal(decodeCursor(full.next ?? '', grpc), 7);

  assert.deepEqual(pageOf(rows, 3), { items: rows, next: null }, 'exactly a page: the last');
  assert.deepEqual(pageOf(rows.slice(0, 1), 3), { items: [{ id: 3 }], next: null });
  assert.deepEqual(pageOf([], 50), { items: [], next: null });
});

test('a cursor round-trips every album id, negative ones too', () => {
  for (const id of [1, 42, 1_000_000, AlbumLimits.maxId, -1, -42, AlbumLimits.minId]) {
    const cursor = encodeCursor(id);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/, 'URL-safe without escaping');
    assert.equal(decodeCursor(cursor, grpc), id);
    assert.equal(decodeCursor(cursor, rest), id);
  }
  // The format both APIs give out: versioned, so that it can change without breaking clients.
  assert.equal(encodeCursor(42), b64('a1:42'));
});

test('anything but a cursor this API gives out is one INVALID_ARGUMENT naming the field', () => {
  const valid = encodeCursor(5);
  const foreign = [
    '',
    'garbage',
    '!!!',
    `${valid}x`,
    `${valid}=`,
    ` ${valid}`,
    b64('a1:0'),
    b64('a1:-0'),
    b64('a1:-05'),
    b64('a1:--5'),
    b64(`a1:${AlbumLimits.minId - 1}`),
    b64('a1:05'),
    b64('a1:5 '),
    b64('a2:5'),
    b64(`a1:${AlbumLimits.maxId + 1}`),
    b64('a1:99999999999'),
  ];
  for (const cursor of foreign) {
    assertInvalid(() => decodeCursor(cursor, grpc), 'The page_token is not one this API gave out', [
      '/page_token',
    ]);
    assertInvalid(() => decodeCursor(cursor, rest), 'The cursor is not one this API gave out', [
      '/cursor',
    ]);
  }
});

test("the REST API's JSON cursors stay valid there, and only exactly as it gave them out", () => {
  assert.equal(decodeCursor(jsonCursor({ after: 42 }), rest), 42);
  assert.equal(decodeCursor(jsonCursor({ after: AlbumLimits.maxId }), rest), AlbumLimits.maxId);
  // The gRPC API never gave them out.
  assertInvalid(
    () => decodeCursor(jsonCursor({ after: 3 }), grpc),
    'The page_token is not one this API gave out',
    ['/page_token'],
  );
  const handMade = [
    jsonCursor({ after: AlbumLimits.minId - 1 }),
    jsonCursor({ after: 0 }),
    jsonCursor({ after: '5' }),
    jsonCursor({ after: 2.5 }),
    jsonCursor({ after: AlbumLimits.maxId + 1 }),
    jsonCursor({}),
    jsonCursor(null),
    jsonCursor([5]),
    jsonCursor({ after: 5, more: true }),
    b64('{ "after": 5 }'),
    b64('{"after":5'),
    `${jsonCursor({ after: 5 })}=`,
  ];
  for (const cursor of handMade) {
    assertInvalid(() => decodeCursor(cursor, rest), 'The cursor is not one this API gave out', [
      '/cursor',
    ]);
  }
});

test('an artist filter narrows the listing unless absent or empty', () => {
  assert.equal(artistFilter({}), null);
  assert.equal(artistFilter({ artist: undefined }), null);
  assert.equal(artistFilter({ artist: '' }), null, "proto3's unset string");
  assert.equal(artistFilter({ artist: 'John Coltrane' }), 'John Coltrane');
  assert.equal(artistFilter({ artist: ' ' }), ' ', 'taken as given, like any name');
});

test('filter text with NUL is refused, naming every such field at once', () => {
  refuseNul({ artist: 'John Coltrane', q: undefined });
  refuseNul({ artist: '', q: 'a\u0001b' });
  assertInvalid(() => refuseNul({ artist: 'a\u0000b' }), 'artist must not contain NUL characters', [
    '/artist',
  ]);
  assertInvalid(
    () => refuseNul({ artist: '\u0000', q: 'ok', other: 'x\u0000' }),
    'artist and other must not contain NUL characters',
    ['/artist', '/other'],
  );
});
