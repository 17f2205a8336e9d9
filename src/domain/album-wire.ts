/**
 * `service.Album` on the wire, written and read by hand for the hot paths: every album written
 * through the REST API is encoded once and every consumed record decoded once. protobuf-es builds
 * and walks a message object per album (about 2.4 µs to encode one, as docs/benchmarks.md says
 * and a micro-benchmark of create + toBinary confirms, and 1 µs to decode one with fromBinary);
 * these take a fraction of that. They give exactly the bytes and fields protobuf-es gives (the
 * tests hold them to it); anything out of the ordinary is left to protobuf-es: `writeAlbum`
 * returns null for values it would reject, `readAlbum` for unknown fields, other wire types,
 * negative or long varints, truncated input and text that may not be valid UTF-8.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';

/** The fields of `service.Album` as protobuf-es reads them. */
export interface AlbumWireFields {
  readonly id: number;
  readonly title: string;
  readonly artist: string;
  readonly price: number;
  readonly priceCents?: bigint | undefined;
}

/**
 * The fields of `service.Album` this codec reads and writes, by their protobuf-es names. A test
 * holds this list to the generated descriptor: a field the proto adds, drops, renumbers or
 * retypes fails it until the codec learns the change.
 */
export const ALBUM_WIRE_FIELDS = {
  id: { number: 1, type: 'int32', optional: false },
  title: { number: 2, type: 'string', optional: false },
  artist: { number: 3, type: 'string', optional: false },
  price: { number: 4, type: 'float', optional: false },
  priceCents: { number: 5, type: 'int64', optional: true },
} as const;

type WireField = (typeof ALBUM_WIRE_FIELDS)[keyof typeof ALBUM_WIRE_FIELDS];

// Wire types: 0 varint, 2 length-delimited, 5 fixed32.
const WIRE_TYPE: Record<WireField['type'], number> = { int32: 0, int64: 0, string: 2, float: 5 };

/** The byte that starts a field: its number << 3 | its wire type (one byte below field 16). */
const tagOf = (field: WireField): number => (field.number << 3) | WIRE_TYPE[field.type];

const ID = tagOf(ALBUM_WIRE_FIELDS.id);
const TITLE = tagOf(ALBUM_WIRE_FIELDS.title);
const ARTIST = tagOf(ALBUM_WIRE_FIELDS.artist);
const PRICE = tagOf(ALBUM_WIRE_FIELDS.price);
const PRICE_CENTS = tagOf(ALBUM_WIRE_FIELDS.priceCents);

const INT32_MAX = 2 ** 31 - 1;
/** Varints up to 7 bytes (49 bits) are read as numbers, exactly. */
const SAFE_VARINT_BYTES = 7;

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = value;
  let at = pos;
  while (v >= 0x80) {
    buf[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[at++] = v;
  return at;
}

/**
 * The bytes protobuf-es writes for these fields (proto3: id, title, artist and price are left
 * out when zero or empty; price_cents is optional and always set here), or null when a value is
 * one only protobuf-es handles (a negative or non-int32 id, negative or huge cents).
 */
export function writeAlbum(
  id: number,
  title: string,
  artist: string,
  price: number,
  priceCents: bigint,
): Uint8Array | null {
  if (!Number.isInteger(id) || id < 0 || id > INT32_MAX) return null;
  if (priceCents < 0n || priceCents > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const cents = Number(priceCents);
  const titleBytes = Buffer.byteLength(title);
  const artistBytes = Buffer.byteLength(artist);
  const size =
    (id === 0 ? 0 : 1 + varintSize(id)) +
    (titleBytes === 0 ? 0 : 1 + varintSize(titleBytes) + titleBytes) +
    (artistBytes === 0 ? 0 : 1 + varintSize(artistBytes) + artistBytes) +
    (Object.is(price, 0) ? 0 : 5) +
    1 +
    varintSize(cents);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  if (id !== 0) {
    buf[pos++] = ID;
    pos = writeVarint(buf, pos, id);
  }
  if (titleBytes !== 0) {
    buf[pos++] = TITLE;
    pos = writeVarint(buf, pos, titleBytes);
    pos += buf.write(title, pos, 'utf8');
  }
  if (artistBytes !== 0) {
    buf[pos++] = ARTIST;
    pos = writeVarint(buf, pos, artistBytes);
    pos += buf.write(artist, pos, 'utf8');
  }
  if (!Object.is(price, 0)) {
    buf[pos++] = PRICE;
    pos = buf.writeFloatLE(price, pos);
  }
  buf[pos++] = PRICE_CENTS;
  writeVarint(buf, pos, cents);
  return buf;
}

/** A varint of at most `maxBytes` bytes at `pos`: [value, next position], or null. */
function readVarint(buf: Buffer, pos: number, maxBytes: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes && pos + i < buf.length; i++) {
    const byte = buf[pos + i] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos + i + 1];
    scale *= 0x80;
  }
  return null;
}

/** The fields of an encoded album, or null to let protobuf-es read it. */
export function readAlbum(bytes: Uint8Array): AlbumWireFields | null {
  const buf = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let id = 0;
  let title = '';
  let artist = '';
  let price = 0;
  let priceCents: bigint | undefined;
  let pos = 0;
  while (pos < buf.length) {
    const tag = buf[pos++];
    if (tag === ID) {
      const read = readVarint(buf, pos, 5);
      if (read === null || read[0] > INT32_MAX) return null;
      [id, pos] = read;
    } else if (tag === TITLE || tag === ARTIST) {
      const read = readVarint(buf, pos, 2);
      if (read === null || read[1] + read[0] > buf.length) return null;
      const text = buf.toString('utf8', read[1], read[1] + read[0]);
      // Invalid UTF-8 decodes to U+FFFD here, where protobuf-es refuses the message.
      if (text.includes('\uFFFD')) return null;
      if (tag === TITLE) title = text;
      else artist = text;
      pos = read[1] + read[0];
    } else if (tag === PRICE) {
      if (pos + 4 > buf.length) return null;
      price = buf.readFloatLE(pos);
      pos += 4;
    } else if (tag === PRICE_CENTS) {
      const read = readVarint(buf, pos, SAFE_VARINT_BYTES);
      if (read === null) return null;
      priceCents = BigInt(read[0]);
      pos = read[1];
    } else return null;
  }
  return { id, title, artist, price, priceCents };
}

// protobuf-es reads a known scalar field by its declared type whatever wire type its tag says
// (the wire type matters only to skip unknown fields); `wireId` walks the bytes the same way.
const READ_DECLARED: Record<WireField['type'], (reader: BinaryReader) => unknown> = {
  int32: (reader) => reader.int32(),
  int64: (reader) => reader.int64(),
  string: (reader) => reader.bytes(),
  float: (reader) => reader.float(),
};
const DECLARED_TYPE = new Map<number, WireField['type']>(
  Object.values(ALBUM_WIRE_FIELDS).map((field) => [field.number, field.type]),
);

/**
 * The id as the wire holds it, read as protobuf's int64 (a negative int32 is sign-extended to ten
 * bytes): the last field 1, or undefined when there is none. protobuf's int32 reading keeps only
 * the low 32 bits, so an id above int32 comes out of it as another album's id; comparing the two
 * tells. For the messages `readAlbum` leaves to protobuf-es (only they can hold such an id),
 * once protobuf-es read them; it throws on input protobuf-es would refuse.
 */
export function wireId(bytes: Uint8Array): bigint | undefined {
  const reader = new BinaryReader(bytes);
  let id: bigint | undefined;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    const type = DECLARED_TYPE.get(field);
    if (field === ALBUM_WIRE_FIELDS.id.number) id = BigInt(reader.int64());
    else if (type === undefined) reader.skip(wireType, field);
    else READ_DECLARED[type](reader);
  }
  return id;
}
