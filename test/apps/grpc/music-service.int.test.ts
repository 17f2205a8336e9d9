// The gRPC API as an existing client sees it: @grpc/grpc-js with the ORIGINAL contract loaded by
// @grpc/proto-loader, independent of the protobuf-es code the server is built from.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createSql } from '../../../src/adapters/db/client.ts';
import { config, idBlock, testSql } from '../../support/stack.ts';
import { startServer, type TestServer } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const ORIGINAL_PROTO = join(ROOT, 'test', 'fixtures', 'original-music.proto');
const HEALTH_PROTO = join(ROOT, 'proto', 'grpc', 'health', 'v1', 'health.proto');
const LOAD: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true };

interface OriginalAlbum {
  id: number;
  title: string;
  artist: string;
  price: number;
}

type Callback<T> = (err: grpc.ServiceError | null, response: T) => void;
type Unary<T> = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: Callback<T>,
) => grpc.ClientUnaryCall;

/** Calls a unary method of a proto-loader client, with a deadline so that a hang fails. */
function call<T>(client: grpc.Client, method: string, request: object = {}): Promise<T> {
  const fn = (client as unknown as Record<string, Unary<T>>)[method];
  assert.ok(typeof fn === 'function', `the client has ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(
      client,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (err: grpc.ServiceError | null, response: T) => (err ? reject(err) : resolve(response)),
    );
  });
}

const musicClientOf = (() => {
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync(ORIGINAL_PROTO, LOAD),
  ) as unknown as {
    service: { MusicService: grpc.ServiceClientConstructor };
  };
  return (address: string) =>
    new loaded.service.MusicService(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
})();

const healthClientOf = (() => {
  const loaded = grpc.loadPackageDefinition(
    protoLoader.loadSync(HEALTH_PROTO, LOAD),
  ) as unknown as {
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  return (address: string) =>
    new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
})();

const sql = testSql();
const ids = idBlock(3);
let server: TestServer;
let music: grpc.Client;
let health: grpc.Client;

before(async () => {
  // Rows of our own with values a float32 cannot hold exactly, next to the seed rows.
  const [a, b, c] = ids as [number, number, number];
  await sql`
    insert into music.albums (id, title, artist, price) values
      (${a}, 'Ünïcödé 💿 title', 'Ørjan', 99999999.99),
      (${b}, 'Cheap', 'Someone', 0.01),
      (${c}, ${'x'.repeat(200)}, ${"O'Brien"}, 0)`;
  server = await startServer(sql);
  music = musicClientOf(server.address);
  health = healthClientOf(server.address);
});

after(async () => {
  music?.close();
  health?.close();
  await server?.close();
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
  await sql.end({ timeout: 5 });
});

interface Row {
  id: number;
  title: string;
  artist: string;
  price: string;
}

const SEEDS = [
  { id: 1, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 },
  { id: 2, title: 'Giant Steps', artist: 'John Coltrane', price: 63.99 },
  { id: 3, title: 'Jeru', artist: 'Gerry Mulligan', price: 17.99 },
  { id: 4, title: 'Sarah Vaughan', artist: 'Sarah Vaughan', price: 34.98 },
];

test('GetAlbumList, called with the original contract, returns every row with exact values', async () => {
  const rows = await sql<
    Row[]
  >`select id, title, artist, price::text as price from music.albums order by id`;
  const response = await call<{ albums: OriginalAlbum[] }>(music, 'GetAlbumList');
  const after = await sql<
    Row[]
  >`select id, title, artist, price::text as price from music.albums order by id`;
  assert.deepEqual(
    after.map((r) => r.id),
    rows.map((r) => r.id),
    'nothing else wrote meanwhile',
  );

  assert.ok(rows.length >= SEEDS.length + ids.length);
  assert.equal(response.albums.length, rows.length);
  assert.deepEqual(
    response.albums,
    rows.map((r) => ({
      id: r.id,
      title: r.title,
      artist: r.artist,
      // A float on the wire: the float32 nearest to the stored decimal.
      price: Math.fround(Number(r.price)),
    })),
  );

  for (const seed of SEEDS) {
    const album = response.albums.find((a) => a.id === seed.id);
    assert.deepEqual(album, { ...seed, price: Math.fround(seed.price) }, `seed ${seed.id}`);
  }
  const mine = response.albums.filter((a) => ids.includes(a.id));
  assert.deepEqual(
    mine.map((a) => a.price),
    [Math.fround(99999999.99), Math.fround(0.01), 0],
  );
  assert.equal(mine[0]?.title, 'Ünïcödé 💿 title');
});

test('grpc.health.v1.Health/Check says SERVING while the database answers', async () => {
  for (const service of ['', 'service.MusicService']) {
    const response = await call<{ status: string }>(health, 'Check', { service });
    assert.deepEqual(response, { status: 'SERVING' }, `service "${service}"`);
  }
  await assert.rejects(
    call(health, 'Check', { service: 'no.such.Service' }),
    (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.NOT_FOUND);
      return true;
    },
  );
});

test('with the database unreachable: Health says NOT_SERVING and GetAlbumList is UNAVAILABLE', async (t) => {
  const url = new URL(config.DATABASE_URL);
  url.port = '1'; // nothing listens there
  const deadSql = createSql({ url: url.href, max: 1, applicationName: 'music-test-dead' });
  const dead = await startServer(deadSql);
  const deadHealth = healthClientOf(dead.address);
  const deadMusic = musicClientOf(dead.address);
  t.after(async () => {
    deadHealth.close();
    deadMusic.close();
    await dead.close();
    await deadSql.end({ timeout: 1 });
  });

  const response = await call<{ status: string }>(deadHealth, 'Check', { service: '' });
  assert.deepEqual(response, { status: 'NOT_SERVING' });

  await assert.rejects(call(deadMusic, 'GetAlbumList'), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.UNAVAILABLE, err.message);
    assert.doesNotMatch(err.details, /127\.0\.0\.1|ECONNREFUSED/, 'no internals leak');
    return true;
  });
});
