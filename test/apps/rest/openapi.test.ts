// The OpenAPI document, in process: valid OpenAPI 3.1, every route in it, every operation with
// examples that match their schemas, and the error examples equal to what the API answers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { RouteOptions } from 'fastify';
import type { Sql } from '../../../src/adapters/db/client.ts';
import type { GroupProbe, GroupState } from '../../../src/adapters/kafka/group-probe.ts';
import { buildRestApp } from '../../../src/apps/rest/app.ts';
import { createReadiness } from '../../../src/apps/rest/readiness.ts';
import { emptyCatalogue } from '../../support/rest-app.ts';
import { log } from '../../support/stack.ts';

interface Media {
  schema?: { examples?: unknown[] };
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  summary?: string;
  tags?: string[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}
type Paths = Record<string, Record<string, Operation>>;

const routes: RouteOptions[] = [];
let app: Awaited<ReturnType<typeof buildRestApp>>;
let doc: { openapi: string; paths: Paths };

before(async () => {
  app = await buildRestApp({
    log,
    // Nothing here reaches a backend: every request below fails validation or finds nothing.
    intake: {
      allocateIds: () => Promise.reject(new Error('no writes here')),
      publish: () => Promise.reject(new Error('no writes here')),
    },
    albums: emptyCatalogue,
    readiness: async () => ({ ready: true, checks: {} }),
    onRoute: (route) => routes.push(route),
  });
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  doc = res.json();
});

after(() => app?.close());

/** Every operation of the document as [`METHOD /path`, operation]. */
const operations = (): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      op,
    ]),
  );

/**
 * The example values of a media object, named: its own `example` or `examples`, or, as OpenAPI
 * 3.1 schemas are JSON Schema 2020-12, the `examples` of its schema.
 */
const examplesOf = (media: Media): [string, unknown][] => [
  ...(media.example === undefined ? [] : [['example', media.example] as [string, unknown]]),
  ...Object.entries(media.examples ?? {}).map(([name, e]): [string, unknown] => [name, e.value]),
  ...(media.schema?.examples ?? []).map((e, i): [string, unknown] => [`schema example ${i}`, e]),
];

test('/openapi.json is a valid OpenAPI 3.1 document', async () => {
  assert.match(doc.openapi, /^3\.1\./);
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(validator.version, '3.1');
  assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
});

test('every route a client calls is documented, and nothing else', () => {
  const registered = new Set<string>();
  for (const route of routes) {
    // HEAD routes are Fastify's automatic twins of GET; /docs/static/* are the UI page's assets.
    if (route.url.startsWith('/docs/static/')) continue;
    // Hidden: the 405 answers of methods a URL lacks (method-not-allowed.ts).
    if ((route.config as { refusedMethods?: boolean } | undefined)?.refusedMethods) continue;
    // `:id` is a parameter, `::` Fastify's escape of a literal colon (`/albums:delete`).
    const url = (route.url === '/docs/' ? '/docs' : route.url)
      .replace(/(?<!:):(\w+)/g, '{$1}')
      .replaceAll('::', ':');
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') registered.add(`${method} ${url}`);
    }
  }
  const documented = operations().map(([name]) => name);
  assert.deepEqual(documented.sort(), [...registered].sort());
  for (const must of ['GET /healthz', 'GET /readyz', 'GET /openapi.json']) {
    assert.ok(documented.includes(must), must);
  }
  // Served on the metrics port (METRICS_PORT), never on the API's.
  assert.ok(!documented.includes('GET /metrics'));
});

test('every operation has a summary, a tag and examples of its bodies and answers', () => {
  for (const [name, op] of operations()) {
    assert.ok(op.summary, `${name} has a summary`);
    assert.ok(op.tags?.length, `${name} has a tag`);
    for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
      assert.ok(examplesOf(media).length > 0, `${name} request ${type} has an example`);
    }
    for (const [status, response] of Object.entries(op.responses)) {
      const content = Object.entries(response.content ?? {});
      // A 304 has no body by definition (RFC 9110 15.4.5).
      if (status === '304') continue;
      assert.ok(content.length > 0, `${name} ${status} has content`);
      for (const [type, media] of content) {
        assert.ok(examplesOf(media).length > 0, `${name} ${status} ${type} has an example`);
      }
      if (Number(status) >= 400 && name !== 'GET /readyz') {
        assert.deepEqual(Object.keys(response.content ?? {}), ['application/problem+json'], name);
        for (const [, value] of examplesOf(response.content?.['application/problem+json'] ?? {})) {
          assert.equal((value as { status: number }).status, Number(status), `${name} ${status}`);
        }
      }
    }
  }
});

test('every example matches the schema it illustrates', async () => {
  const validator = new Validator();
  await validator.validate(doc);
  const resolved = validator.resolveRefs() as { paths: Paths };
  const ajv = new Ajv2020({ strict: false });
  let checked = 0;
  let mediaCount = 0;
  for (const [path, item] of Object.entries(resolved.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const media = [
        ...Object.entries(op.requestBody?.content ?? {}).map(
          ([t, m]) => [`request ${t}`, m] as const,
        ),
        ...Object.entries(op.responses).flatMap(([status, r]) =>
          Object.entries(r.content ?? {}).map(([t, m]) => [`${status} ${t}`, m] as const),
        ),
      ];
      for (const [where, m] of media) {
        assert.ok(m.schema, `${method} ${path} ${where} has a schema`);
        mediaCount++;
        const validate = ajv.compile(m.schema);
        for (const [exampleName, value] of examplesOf(m)) {
          assert.ok(
            validate(value),
            `${method} ${path} ${where} ${exampleName}: ${ajv.errorsText(validate.errors)}`,
          );
          checked++;
        }
      }
    }
  }
  assert.ok(mediaCount > 20 && checked >= mediaCount, `${checked} examples of ${mediaCount}`);
});

test('the problem examples are what the API answers to those requests', async () => {
  const problemExample = (path: string, method: string, status: number): unknown => {
    const media = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[
      'application/problem+json'
    ] as Media;
    const [[, value] = ['', undefined]] = examplesOf(media);
    return value;
  };
  const json = (body: unknown) => ({
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
  const blueTrain = { title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
  const cases = [
    ['/api/v1/albums/{id}', 'get', 404, { method: 'GET', url: '/api/v1/albums/42' }],
    ['/api/v1/albums/{id}', 'get', 400, { method: 'GET', url: '/api/v1/albums/2147483648' }],
    ['/api/v1/albums', 'get', 400, { method: 'GET', url: '/api/v1/albums?limit=1000' }],
    [
      '/api/v1/album',
      'post',
      400,
      { method: 'POST', url: '/api/v1/album', ...json({ ...blueTrain, price: 1e8 }) },
    ],
    [
      '/api/v1/albums',
      'post',
      400,
      {
        method: 'POST',
        url: '/api/v1/albums',
        ...json([blueTrain, { ...blueTrain, price: 1e8 }]),
      },
    ],
    [
      '/api/v1/albums',
      'post',
      413,
      { method: 'POST', url: '/api/v1/albums', ...json(Array(1001).fill(blueTrain)) },
    ],
    [
      '/api/v1/album',
      'post',
      415,
      {
        method: 'POST',
        url: '/api/v1/album',
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify(blueTrain),
      },
    ],
  ] as const;
  for (const [path, method, status, request] of cases) {
    const res = await app.inject(request);
    assert.equal(res.statusCode, status, `${method} ${path}: ${res.body}`);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    assert.deepEqual(
      res.json(),
      problemExample(path, method, status),
      `${method} ${path} ${status}`,
    );
  }
});

test('the /readyz examples are what readiness reports, with every check it makes', async () => {
  // PostgreSQL answers; the group is described as `state` and no partition has records.
  const sql = (() => Promise.resolve([])) as unknown as Sql;
  const reportWith = (state: GroupState) => {
    const probe: GroupProbe = {
      describe: async () => state,
      progress: async () => [],
      endOffsets: () => Promise.reject(new Error('not asked here')),
      close: async () => {},
    };
    const readiness = createReadiness(sql, probe, {
      groupId: 'music-albums',
      topic: 'music.albums',
      stallAfterMs: 60_000,
    });
    return readiness();
  };
  const example = (status: number): unknown => {
    const media = doc.paths['/readyz']?.get?.responses[String(status)]?.content?.[
      'application/json'
    ] as Media;
    const [[, value] = ['', undefined]] = examplesOf(media);
    return value;
  };
  assert.deepEqual(
    await reportWith({ state: 'Stable', members: 2, hosts: ['a', 'b'], assigned: [3, 3] }),
    example(200),
  );
  assert.deepEqual(
    await reportWith({ state: 'Empty', members: 0, hosts: [], assigned: [] }),
    example(503),
  );
});

test('schemas are named, and the list documents its headers, 304 and 429', () => {
  const full = doc as unknown as {
    components: { schemas: Record<string, unknown> };
    paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
  };
  assert.ok(full.components.schemas.Album, 'Album is a named schema');
  assert.ok(full.components.schemas.Problem, 'Problem is a named schema');
  for (const name of Object.keys(full.components.schemas)) {
    assert.doesNotMatch(name, /^def-\d+$/, `${name} is named`);
  }
  const list = full.paths['/api/v1/albums']?.get?.responses ?? {};
  assert.deepEqual(Object.keys(list['200']?.headers ?? {}).sort(), [
    'etag',
    'link',
    'x-total-count',
    'x-total-count-estimated',
  ]);
  assert.ok(list['304'] && list['429'], 'a 304 and a 429');
  const get = doc.paths['/api/v1/albums/{id}']?.get?.responses ?? {};
  assert.ok(get['304'] && get['429']);
  const post = doc.paths['/api/v1/album']?.post?.responses ?? {};
  assert.ok(post['201'] && post['202'] && post['429']);
  // limit is optional, with its default.
  const listOp = doc.paths['/api/v1/albums']?.get as unknown as
    | { parameters: { name: string; required: boolean }[] }
    | undefined;
  const params = listOp?.parameters ?? [];
  assert.equal(params.find((p) => p.name === 'limit')?.required, false);
});
