import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, type DescField, fromBinary, ScalarType, toBinary } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';
import { decodeAlbum, encodeAlbum } from '../../src/domain/album-codec.ts';
import { ALBUM_WIRE_FIELDS, readAlbum, wireId, writeAlbum } from '../../src/domain/album-wire.ts';
import { AlbumSchema } from '../../src/gen/service/music_pb.js';

// protobuf-es is the reference: the hand-written codec must give exactly its bytes and fields.
const reference = (id: number, title: string, artist: string, price: number, priceCents: bigint) =>
  Buffer.from(toBinary(AlbumSchema, create(AlbumSchema, { id, title, artist, price, priceCents })));

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom('', ' ', '\u{1F3B7} Bird', 'a\uD800b', '\uDFFF'),
);
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const cents = fc.oneof(fc.bigInt({ min: 0n, max: 9_999_999_999n }), int64, fc.constant(0n));

test('encoding writes the bytes protobuf-es writes, for any album', () => {
  fc.assert(
    fc.property(fc.oneof(int32, fc.constant(0)), text, text, cents, (id, title, artist, c) => {
      const album = { id, title, artist, priceCents: c };
      const want = reference(id, title, artist, Number(c) / 100, c);
      assert.deepEqual(Buffer.from(encodeAlbum(album)), want);
    }),
    { numRuns: 3000 },
  );
});

test('writeAlbum leaves to protobuf-es only what it does not handle itself', () => {
  assert.notEqual(writeAlbum(2 ** 31 - 1, 't', 'a', 1, 100n), null);
  assert.notEqual(writeAlbum(0, '', '', 0, 0n), null);
  assert.equal(writeAlbum(-1, 't', 'a', 1, 100n), null);
  assert.equal(writeAlbum(1.5, 't', 'a', 1, 100n), null);
  assert.equal(writeAlbum(1, 't', 'a', 1, -1n), null);
  assert.equal(writeAlbum(1, 't', 'a', 1, 2n ** 53n), null);
});

/** protobuf-es's reading of the bytes, or null when it refuses them. */
function referenceRead(bytes: Uint8Array) {
  try {
    const m = fromBinary(AlbumSchema, bytes);
    return { id: m.id, title: m.title, artist: m.artist, price: m.price, priceCents: m.priceCents };
  } catch {
    return null;
  }
}

const encode = (
  id: number,
  title: string,
  artist: string,
  price: number,
  priceCents: bigint | undefined,
) => toBinary(AlbumSchema, create(AlbumSchema, { id, title, artist, price, priceCents }));
// Albums as this service writes them, and anything else the contract allows.
const encoded = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.string(), fc.string(), cents)
    .map(([id, title, artist, c]) => encode(id, title, artist, Number(c) / 100, c)),
  fc
    .tuple(int32, text, text, fc.float(), fc.option(int64, { nil: undefined }))
    .map(([id, title, artist, price, priceCents]) => encode(id, title, artist, price, priceCents)),
);
// Valid messages, damaged ones (cut short, bytes changed, unknown fields added) and noise.
const wire = fc.oneof(
  encoded,
  fc.tuple(encoded, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
  fc.tuple(encoded, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, v]) => {
    const copy = Uint8Array.from(b);
    if (copy.length > 0) copy[at % copy.length] = v;
    return copy;
  }),
  fc
    .tuple(encoded, fc.uint8Array({ maxLength: 20 }))
    .map(([b, extra]) => Buffer.concat([b, extra])),
  fc.uint8Array({ maxLength: 64 }),
);

test('reading gives the fields protobuf-es gives, or hands the bytes over to it', () => {
  fc.assert(
    fc.property(wire, (bytes) => {
      const fast = readAlbum(bytes);
      if (fast === null) return;
      const want = referenceRead(bytes);
      assert.notEqual(want, null, 'protobuf-es refuses what the fast path accepted');
      assert.deepEqual({ ...fast, priceCents: fast.priceCents }, want);
    }),
    { numRuns: 5000 },
  );
});

test('albums as this service writes them take the fast path', () => {
  // U+FFFD itself is left to protobuf-es: it is what invalid UTF-8 decodes to.
  const title = fc
    .string({ unit: 'grapheme', maxLength: 200 })
    .filter((t) => !t.includes('\uFFFD'));
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      title,
      title,
      fc.bigInt({ min: 0n, max: 9_999_999_999n }),
      (id, title, artist, priceCents) => {
        const bytes = encodeAlbum({ id, title, artist, priceCents });
        assert.deepEqual(readAlbum(bytes), referenceRead(bytes));
      },
    ),
    { numRuns: 2000 },
  );
});

test('decoding through either path gives the same result as decoding through protobuf-es', () => {
  const viaProtobufEs = (bytes: Uint8Array) => {
    const m = referenceRead(bytes);
    return m === null ? 'refused' : m;
  };
  fc.assert(
    fc.property(wire, (bytes) => {
      const decoded = decodeAlbum(bytes);
      const m = viaProtobufEs(bytes);
      if (m === 'refused') {
        assert.equal(decoded.ok, false);
        return;
      }
      if (decoded.ok) {
        assert.equal(decoded.album.id, m.id);
        assert.equal(decoded.album.title, m.title.trim());
        assert.equal(decoded.album.artist, m.artist.trim());
      }
    }),
    { numRuns: 3000 },
  );
});

// The hand-written codec against the proto itself, as the generated descriptor declares it: a
// field added, dropped, renumbered or retyped in proto/service/music.proto fails these tests.

/** A field as the codec's table describes it: `int32`, `string`..., and whether it is optional. */
function declared(f: DescField) {
  const type = f.fieldKind === 'scalar' ? ScalarType[f.scalar].toLowerCase() : f.fieldKind;
  const optional = f.presence === FeatureSet_FieldPresence.EXPLICIT;
  return { name: f.localName, number: f.number, type, optional };
}

test('the codec knows every field of service.Album, by number, name and type', () => {
  const known = Object.entries(ALBUM_WIRE_FIELDS).map(([name, f]) => ({ name, ...f }));
  assert.deepEqual(
    AlbumSchema.fields.map(declared).sort((a, b) => a.number - b.number),
    known.sort((a, b) => a.number - b.number),
    'proto/service/music.proto changed service.Album: teach src/domain/album-wire.ts the change',
  );
});

/** A value other than the default for each scalar type the proto may use. */
const SAMPLE: Partial<Record<ScalarType, unknown>> = {
  [ScalarType.INT32]: 2 ** 31 - 1,
  [ScalarType.INT64]: 1_234_567_890_123n,
  [ScalarType.STRING]: 'Ünïcødé \u{1F3B7}',
  // Exact in float32, so that the float read back equals it.
  [ScalarType.FLOAT]: 1234.5,
};

test('every field of service.Album, set to other than its default, goes through both ways', () => {
  const init: Record<string, unknown> = {};
  for (const f of AlbumSchema.fields) {
    const sample = f.fieldKind === 'scalar' ? SAMPLE[f.scalar] : undefined;
    assert.notEqual(sample, undefined, `no sample for ${f.name}: the codec does not know its type`);
    init[f.localName] = sample;
  }
  const message = create(AlbumSchema, init);
  const bytes = toBinary(AlbumSchema, message);
  const fields = readAlbum(bytes);
  assert.ok(fields, 'the fast path reads every field protobuf-es writes');
  for (const f of AlbumSchema.fields) {
    const name = f.localName as keyof typeof fields;
    assert.equal(fields[name], init[f.localName], f.name);
  }
  const { id, title, artist, price, priceCents } = message;
  const written = writeAlbum(id, title, artist, price, priceCents ?? 0n);
  assert.deepEqual(written && Buffer.from(written), Buffer.from(bytes), 'the same bytes');
});

test('wireId reads whatever protobuf-es reads, and the id before its int32 truncation', () => {
  fc.assert(
    fc.property(wire, (bytes) => {
      const m = referenceRead(bytes);
      if (m === null) return;
      const id = wireId(bytes);
      assert.equal(id === undefined ? 0n : BigInt.asIntN(32, id), BigInt(m.id));
    }),
    { numRuns: 5000 },
  );
});
