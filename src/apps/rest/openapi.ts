import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { problemResponse } from './problem-responses.ts';

/** The routes of the documentation itself: this document and the UI that shows it. */
const DOC_TAG = 'docs';

const documentExample = {
  openapi: '3.1.0',
  info: { title: 'music-service', version: '1.0.0' },
  paths: { '/healthz': { get: { summary: 'The process is alive' } } },
};

/** The schema of `/openapi.json`, whose handler answers `app.swagger()`. */
export const openapiDocumentSchema = {
  tags: [DOC_TAG],
  summary: 'This OpenAPI 3.1 document',
  response: {
    200: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      additionalProperties: true,
      description: 'The OpenAPI 3.1 document of every route of this API',
      examples: [documentExample],
    }),
  },
};

// @fastify/swagger-ui registers its routes hidden; the ones a person or client calls are
// documented here, by the URL the UI registers. Its stylesheets and scripts (/docs/static/*)
// stay out: they are the page's own.
const uiRoutes: Readonly<Record<string, { url: string; schema: object }>> = {
  // Registered once as `/docs/`; Fastify answers `/docs` as well, the address people use.
  '/docs/': {
    url: '/docs',
    schema: {
      tags: [DOC_TAG],
      summary: 'Interactive documentation (Swagger UI) of this API',
      response: {
        200: {
          description: 'The Swagger UI page',
          content: {
            'text/html': {
              schema: Type.String(),
              example: '<!doctype html><html><head><title>Swagger UI</title>...</html>',
            },
          },
        },
      },
    },
  },
  '/docs/json': {
    url: '/docs/json',
    schema: { ...openapiDocumentSchema, summary: 'The OpenAPI document, as the UI loads it' },
  },
  '/docs/yaml': {
    url: '/docs/yaml',
    schema: {
      tags: [DOC_TAG],
      summary: 'The OpenAPI document in YAML',
      response: {
        200: {
          description: 'The same document as /openapi.json, in YAML',
          content: {
            'application/x-yaml': {
              schema: Type.String(),
              example: "openapi: 3.1.0\ninfo:\n  title: music-service\n  version: '1.0.0'\n",
            },
          },
        },
      },
    },
  },
};

/** Options of @fastify/swagger: the document's header, tags, and the UI's routes shown. */
export const swaggerOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'music-service',
      version: '1.0.0',
      description:
        'Album catalogue: writes go through Kafka, reads come from PostgreSQL. Every answer ' +
        'carries `x-request-id`; errors are RFC 9457 `application/problem+json`.',
    },
    tags: [
      { name: 'albums', description: 'Writes (202 once on Kafka) and reads of albums' },
      { name: 'health', description: 'Liveness and readiness probes' },
      { name: DOC_TAG, description: 'This document and its interactive viewer' },
    ],
  },
  // Shared schemas by their own $id (Album, Problem) instead of def-0, def-1…
  refResolver: {
    buildLocalReference: (json, _baseUri, _fragment, i) =>
      typeof json.$id === 'string' ? json.$id : `def-${i}`,
  },
  transform: ({ schema, url, route }) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const ui = methods.includes('GET') ? uiRoutes[url] : undefined;
    if (ui) return ui;
    // The rate limit answers every API route the same way; said once here, not in each route.
    if (!url.startsWith('/api/') || !schema?.response) return { schema, url };
    const response = { ...(schema.response as object), 429: rateLimited(url) };
    return { schema: { ...schema, response }, url };
  },
};

/** The rate limit's answer (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS and client address). */
const rateLimited = (url: string) =>
  problemResponse(
    'Too many requests from this address in the window (RATE_LIMIT_MAX per ' +
      'RATE_LIMIT_WINDOW_MS); `Retry-After` says when to come back',
    new AppError(ErrorCode.RateLimited, 'At most 1000 requests per 60 s; retry in 12 seconds'),
    url,
  );
