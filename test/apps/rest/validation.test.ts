import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlbumCreate, AlbumUpsert, batchOf } from '../../../src/apps/rest/schemas.ts';
import { compileValidator } from '../../../src/apps/rest/validation.ts';

const bodyCheck = (schema: object) =>
  compileValidator({ schema, httpPart: 'body', method: 'POST', url: '/' }) as ((
    data: unknown,
  ) => boolean) & { errors?: { instancePath: string; keyword: string }[] | null };

const create = bodyCheck(AlbumCreate);
const upsert = bodyCheck(AlbumUpsert);
const album = { title: 'T', artist: 'A' };

test('an absent price is 0, as protobuf JSON leaves a 0 out', () => {
  for (const [check, body] of [
    [create, { ...album }],
    [upsert, { id: 9, ...album }],
  ] as const) {
    const sent: Record<string, unknown> = { ...body };
    assert.ok(check(sent), JSON.stringify(check.errors));
    assert.equal(sent.price, 0);
  }
  const batch: Record<string, unknown>[] = [{ ...album }, { ...album, price: 2 }];
  assert.ok(bodyCheck(batchOf(AlbumCreate))(batch));
  assert.deepEqual(
    batch.map((a) => a.price),
    [0, 2],
  );
});

test('any price from 0 that rounds to at most 99,999,999.99 passes; cents need not be exact', () => {
  for (const price of [0, 0.6782996, 1.234, 0.001, 56.9900000000001, 99999999.99, 99999999.994]) {
    assert.ok(create({ ...album, price }), `${price}: ${JSON.stringify(create.errors)}`);
  }
  for (const price of [-0.004, -0.01, 99999999.995, 1e8, '1', null, true]) {
    assert.ok(!create({ ...album, price }), String(price));
    assert.deepEqual(
      create.errors?.map((e) => e.instancePath),
      ['/price'],
    );
  }
});

test('ids are any int32; 0 passes the schema and is refused by the album rules', () => {
  for (const id of [1, -1, 0, 2147483647, -2147483648]) {
    assert.ok(upsert({ id, ...album }), String(id));
  }
  for (const id of [2147483648, -2147483649, 1.5, '5']) {
    assert.ok(!upsert({ id, ...album }), String(id));
  }
  assert.ok(!upsert({ ...album }), 'PUT needs the id');
});
