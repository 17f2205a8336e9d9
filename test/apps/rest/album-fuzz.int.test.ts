// Property-based fuzzing of the write endpoints against the real app, publisher and topic: no
// body, however odd, gets a 5xx, and a 202 comes exactly for the bodies that keep the rules. The
// rules are written here once more, on purpose independently of the code that enforces them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { restStack } from '../../support/rest-stack.ts';
import { freshTopics, kafka, log, testSql } from '../../support/stack.ts';
import { recordCount } from '../consumer/support.ts';

/** Runs per property; FUZZ_RUNS raises it for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

const FIELDS = new Set(['id', 'title', 'artist', 'price']);

/** The rules of one text field, after trimming: 1 to 200 characters of real text, no NUL. */
function textKeepsRules(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const text = value.trim();
  const characters = Array.from(text).length;
  return characters >= 1 && characters <= 200 && !text.includes('\0') && text.isWellFormed();
}

// Half away from zero on the decimal the client wrote (ICU's reading of the text, as
// PostgreSQL's numeric(10,2) rounds it), not on the binary double.
const cents = new Intl.NumberFormat('en-US', {
  maximumFractionDigits: 2,
  roundingMode: 'halfExpand',
  useGrouping: false,
});

/** The price as stored: left out it is 0, else rounded to cents. */
function storedPrice(value: unknown): number {
  return value === undefined ? 0 : Number(cents.format(String(value) as `${number}`));
}

/**
 * A price is left out (0) or a number from 0 that rounds to at most 99,999,999.99: refused when
 * negative before rounding (-0.004 too), never for having more than two decimals.
 */
function priceKeepsRules(value: unknown): boolean {
  if (value === undefined) return true;
  return typeof value === 'number' && value >= 0 && storedPrice(value) <= 99_999_999.99;
}

function albumKeepsRules(value: unknown, idRequired: boolean): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const album = value as Record<string, unknown>;
  if (Object.keys(album).some((k) => !FIELDS.has(k))) return false;
  const { id } = album;
  const idOk =
    id === undefined
      ? !idRequired
      : // Any int32 but 0 (protobuf's "not set").
        Number.isInteger(id) &&
        id !== 0 &&
        (id as number) >= -(2 ** 31) &&
        (id as number) < 2 ** 31;
  return (
    idOk &&
    textKeepsRules(album.title) &&
    textKeepsRules(album.artist) &&
    priceKeepsRules(album.price)
  );
}

interface Endpoint {
  readonly method: 'POST' | 'PUT';
  readonly batch: boolean;
}

function bodyKeepsRules(body: unknown, { method, batch }: Endpoint): boolean {
  const idRequired = method === 'PUT';
  if (!batch) return albumKeepsRules(body, idRequired);
  return (
    Array.isArray(body) &&
    body.length >= 1 &&
    body.length <= 1000 &&
    body.every((a) => albumKeepsRules(a, idRequired))
  );
}

// Text from every corner: printable, any code point, unpaired surrogates, control characters,
// blank, at and around the length limit.
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.oneof(fc.constantFrom(' ', '\t', '\0', '\u00a0', 'é', '💿'), surrogate),
    maxLength: 8,
  }),
  fc.constantFrom(
    '',
    ' ',
    'x'.repeat(200),
    'x'.repeat(201),
    '💿'.repeat(200),
    ` ${'y'.repeat(200)} `,
  ),
);
const price = fc.oneof(
  fc.integer({ min: 0, max: 9_999_999_999 }).map((cents) => cents / 100),
  fc.double({ noNaN: true }),
  fc.double({ min: -1, max: 1e8, noNaN: true }),
  fc.constantFrom(0, -0, 99_999_999.99, 100_000_000, 0.1 + 0.2, 56.9900000000001, 1e-7),
  fc.constantFrom(-0.004, 1.005, 0.285, 99_999_999.994, 99_999_999.995, 0.6782996),
);
const id = fc.oneof(
  fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  fc.integer(),
  fc.constantFrom(0, 2 ** 31, 1.5, -1, -(2 ** 31), -(2 ** 31) - 1, 1e20),
);
/** Anything JSON can say, for a field of the wrong type. */
const other = fc.jsonValue({ maxDepth: 2 });

const album = fc.record(
  {
    id: fc.oneof({ weight: 4, arbitrary: id }, { weight: 1, arbitrary: other }),
    title: fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: other }),
    artist: fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: other }),
    price: fc.oneof({ weight: 4, arbitrary: price }, { weight: 1, arbitrary: other }),
    genre: other,
  },
  { requiredKeys: [] },
);
// Mostly albums with all their fields, so that a fair share of bodies are valid.
const likelyAlbum = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      { id, title: text, artist: text, price },
      { requiredKeys: ['title', 'artist'] },
    ),
  },
  { weight: 2, arbitrary: album },
);
const body = fc.oneof(
  { weight: 4, arbitrary: likelyAlbum },
  { weight: 4, arbitrary: fc.array(likelyAlbum, { minLength: 0, maxLength: 6 }) },
  { weight: 1, arbitrary: other },
);
const endpoint = fc.record({ method: fc.constantFrom('POST', 'PUT'), batch: fc.boolean() });

const urlOf = (e: Endpoint) => (e.batch ? '/api/v1/albums' : '/api/v1/album');

test('fuzzed write bodies: never a 5xx, and 202 exactly when the body keeps the rules', async (t) => {
  const { topic } = await freshTopics('fuzz', 1);
  const sql = testSql(2);
  const { app, close } = await restStack({ sql, kafka, topic, log });
  t.after(async () => {
    await close();
    await sql.end({ timeout: 5 });
  });

  const tally = { accepted: 0, refused: 0, albums: 0 };
  await fc.assert(
    fc.asyncProperty(endpoint, body, async (e, generated) => {
      const payload = JSON.stringify(generated);
      // What the server receives (-0 becomes 0, Infinity null), which the rules are judged on.
      const sent: unknown = JSON.parse(payload);
      const res = await app.inject({
        method: e.method,
        url: urlOf(e),
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.ok(res.statusCode < 500, `${res.statusCode}: ${res.body.slice(0, 300)}`);
      const valid = bodyKeepsRules(sent, e);
      if (!valid) {
        assert.ok(
          res.statusCode >= 400,
          `accepted a body that breaks the rules: ${res.body.slice(0, 300)}`,
        );
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        tally.refused++;
        return;
      }
      assert.equal(
        res.statusCode,
        202,
        `refused a body that keeps the rules: ${res.body.slice(0, 300)}`,
      );
      // What was accepted is what was sent, trimmed, with an id and the price as stored.
      const sentAlbums = (e.batch ? sent : [sent]) as Record<string, unknown>[];
      const answered = (e.batch ? res.json() : [res.json()]) as Record<string, unknown>[];
      assert.deepEqual(
        answered.map(({ id: _, ...rest }) => rest),
        sentAlbums.map((a) => ({
          title: (a.title as string).trim(),
          artist: (a.artist as string).trim(),
          price: storedPrice(a.price),
        })),
      );
      tally.accepted++;
      tally.albums += answered.length;
    }),
    { numRuns: RUNS },
  );

  // Bytes of any kind, declared as JSON: still never a 5xx, and a 202 only for a valid album.
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        text.map((s) => new TextEncoder().encode(`{"title":"${s}","artist":"A","price":1}`)),
      ),
      async (bytes) => {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/album',
          headers: { 'content-type': 'application/json' },
          payload: Buffer.from(bytes),
        });
        assert.ok(res.statusCode < 500, `${res.statusCode}: ${res.body.slice(0, 300)}`);
        if (res.statusCode === 202) {
          const parsed: unknown = JSON.parse(
            new TextDecoder('utf-8', { fatal: true }).decode(bytes),
          );
          assert.ok(
            albumKeepsRules(parsed, false),
            `accepted ${Buffer.from(bytes).toString('hex')}`,
          );
          tally.accepted++;
          tally.albums++;
        } else tally.refused++;
      },
    ),
    { numRuns: RUNS },
  );

  t.diagnostic(
    `${tally.accepted} bodies accepted (${tally.albums} albums), ${tally.refused} refused`,
  );
  // Both outcomes were exercised, and exactly the accepted albums are on the topic.
  assert.ok(tally.accepted >= RUNS / 10, `accepted ${tally.accepted}`);
  assert.ok(tally.refused >= RUNS / 10, `refused ${tally.refused}`);
  assert.equal(await recordCount(topic), tally.albums);
});
