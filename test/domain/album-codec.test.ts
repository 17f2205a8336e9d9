import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { centsToDecimal, toCents } from '../../src/domain/album.ts';
import { decodeAlbum, encodeAlbum } from '../../src/domain/album-codec.ts';
import { AlbumSchema } from '../../src/gen/service/music_pb.js';

const bare = (fields: { id: number; title: string; artist: string; price: number }) =>
  toBinary(AlbumSchema, create(AlbumSchema, fields));

/** A valid album whose field 1 holds `id` as an int64 varint, as a careless producer writes it. */
function withId(id: bigint): Uint8Array {
  const writer = new BinaryWriter().tag(1, WireType.Varint).int64(id);
  return Buffer.concat([writer.finish(), bare({ id: 0, title: 'x', artist: 'y', price: 1 })]);
}

test('an encoded album decodes to the same album, cents exact', () => {
  const album = { id: 7, title: 'Kind of Blue', artist: 'Miles Davis', priceCents: 123456789n };
  assert.deepEqual(decodeAlbum(encodeAlbum(album)), { ok: true, album });
});

test('a bare original-contract album rounds its float price to cents', () => {
  const decoded = decodeAlbum(
    bare({ id: 1, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 }),
  );
  assert.deepEqual(decoded, {
    ok: true,
    album: { id: 1, title: 'Blue Train', artist: 'John Coltrane', priceCents: 5699n },
  });
});

test('a float price follows the one price rule: rounded as numeric(10,2) rounds', () => {
  // Go's rand.Float32(), as the original's testers send it.
  const decoded = decodeAlbum(bare({ id: 5, title: 'T', artist: 'A', price: 0.6782996 }));
  assert.ok(decoded.ok);
  assert.equal(decoded.album.priceCents, 68n);
  const zero = decodeAlbum(bare({ id: 5, title: 'T', artist: 'A', price: -0 }));
  assert.ok(zero.ok && zero.album.priceCents === 0n, 'minus zero is zero, not negative');
});

test('any int32 id but 0 decodes, negative ones too (as the original stored them)', () => {
  for (const id of [-1, -(2 ** 31), 2 ** 31 - 1, 7]) {
    const decoded = decodeAlbum(bare({ id, title: 'T', artist: 'A', price: 1 }));
    assert.ok(decoded.ok, `${id}: ${decoded.ok ? '' : decoded.reason}`);
    assert.equal(decoded.album.id, id);
    assert.deepEqual(decodeAlbum(encodeAlbum(decoded.album)), decoded, 'and round-trips');
  }
});

test('an id is taken exactly when the wire holds an int32 other than 0', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.bigInt({ min: -(2n ** 32n), max: 2n ** 32n }),
      ),
      (id) => {
        const decoded = decodeAlbum(withId(id));
        const int32 = id >= -(2n ** 31n) && id < 2n ** 31n && id !== 0n;
        assert.equal(decoded.ok, int32, String(id));
        if (decoded.ok) assert.equal(BigInt(decoded.album.id), id);
      },
    ),
    { numRuns: 5000 },
  );
});

test('text is trimmed before the rules apply', () => {
  const decoded = decodeAlbum(
    bare({ id: 2, title: '  Jeru ', artist: 'Gerry Mulligan ', price: 1 }),
  );
  assert.ok(decoded.ok);
  assert.equal(decoded.album.title, 'Jeru');
  assert.equal(decoded.album.artist, 'Gerry Mulligan');
});

test('records that break the rules are refused with a reason', () => {
  const cases = [
    { bytes: null, reason: /empty/ },
    { bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff]), reason: /not a service.Album/ },
    { bytes: bare({ id: 0, title: 'x', artist: 'y', price: 1 }), reason: /id/ },
    { bytes: bare({ id: 3, title: '   ', artist: 'y', price: 1 }), reason: /title/ },
    { bytes: bare({ id: 3, title: 'x', artist: 'y'.repeat(201), price: 1 }), reason: /artist/ },
    { bytes: bare({ id: 3, title: 'x', artist: 'y', price: -1 }), reason: /price/ },
    // Checked before rounding: -0.004 would round to 0.00.
    { bytes: bare({ id: 3, title: 'x', artist: 'y', price: -0.004 }), reason: /^price: .*neg/ },
    { bytes: bare({ id: 3, title: 'x', artist: 'y', price: Infinity }), reason: /^price: .*fin/ },
    { bytes: bare({ id: 3, title: 'x', artist: 'y', price: 1e9 }), reason: /^price: .*at most/ },
    // Ids the wire holds above int32, which protobuf's int32 reading would truncate.
    { bytes: withId(2n ** 31n), reason: /^id: 2147483648 is not a 32-bit integer/ },
    { bytes: withId(2n ** 32n + 5n), reason: /^id: 4294967301 / },
    { bytes: withId(2n ** 63n - 1n), reason: /^id: / },
    { bytes: withId(-(2n ** 31n) - 1n), reason: /^id: -2147483649 / },
    { bytes: bare({ id: 3, title: 'x', artist: 'y', price: Number.NaN }), reason: /price/ },
    { bytes: bare({ id: 3, title: 'x\u0000', artist: 'y', price: 1 }), reason: /^title: .*NUL/ },
    { bytes: bare({ id: 3, title: 'x', artist: '💿'.repeat(201), price: 1 }), reason: /^artist/ },
    // Field 2 (title) with the bytes "a", 0xFF, "b": not UTF-8.
    { bytes: new Uint8Array([0x08, 0x03, 0x12, 0x03, 0x61, 0xff, 0x62]), reason: /not a service/ },
    // A field 1 that says varint but stops half-way.
    { bytes: new Uint8Array([0x08, 0xff]), reason: /not a service/ },
  ];
  for (const { bytes, reason } of cases) {
    const decoded = decodeAlbum(bytes);
    assert.equal(decoded.ok, false);
    if (!decoded.ok) assert.match(decoded.reason, reason);
  }
});

test('200 characters of any width decode, as the REST API accepted them', () => {
  const title = '💿'.repeat(200);
  const decoded = decodeAlbum(bare({ id: 4, title, artist: 'ü'.repeat(200), price: 1 }));
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
  assert.equal(decoded.album.title, title);
});

test('cents convert to decimal text and back without loss', () => {
  assert.equal(centsToDecimal(5699n), '56.99');
  assert.equal(centsToDecimal(5n), '0.05');
  assert.equal(centsToDecimal(9999999999n), '99999999.99');
  assert.equal(toCents(0.29), 29n);
  assert.equal(toCents(Math.fround(56.99)), 5699n);
  assert.equal(centsToDecimal(-5n), '-0.05');
});
